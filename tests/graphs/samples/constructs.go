// Every construct the Go lowering knows, for the invariant and determinism tests.
package main

import "fmt"

type Counter struct{ n int }

func (c *Counter) Add(by int) int {
	c.n += by
	return c.n
}

func classify(xs []int, ch chan int, done chan bool) (total int) {
	defer fmt.Println("done")
	for i, x := range xs {
		if i == 0 {
			continue
		}
		switch {
		case x < 0:
			panic("negative")
		case x == 0:
			fallthrough
		default:
			total += x
		}
	}
outer:
	for i := 0; i < 3; i++ {
		select {
		case v := <-ch:
			total += v
		case <-done:
			break outer
		}
	}
	switch v := interface{}(total).(type) {
	case int:
		total = v
	}
	if total > 10 {
		goto end
	}
	total++
end:
	return total
}
