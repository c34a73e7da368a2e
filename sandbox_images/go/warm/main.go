// Compiled once when the image is built, so that the standard packages HumanEval-X programs use and
// testify sit in the image's read-only Go build cache.
package main

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

func Warm() string {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	sum := md5.Sum([]byte("warm"))
	values := []int{3, 1, 2}
	sort.Ints(values)
	fmt.Fprint(w, hex.EncodeToString(sum[:]), math.Sqrt(2), rand.Intn(2), strconv.Itoa(values[0]),
		strings.ToUpper("x"), unicode.IsDigit('1'), regexp.MustCompile("a+").MatchString("aa"),
		reflect.TypeOf(values).Kind(), errors.New("e"), len(os.Args))
	w.Flush()
	return buf.String()
}

func main() {
	fmt.Println(Warm())
}
