"""Programs with known findings, and clean ones, for each analyzer."""

import textwrap

INSECURE_PYTHON = textwrap.dedent('''
    import hashlib
    import pickle
    import subprocess
    import tempfile

    import requests
    import yaml


    def run(command, blob, text, url, expression):
        subprocess.call(command, shell=True)
        data = yaml.load(text)
        obj = pickle.loads(blob)
        digest = hashlib.md5(blob).hexdigest()
        value = eval(expression)
        path = tempfile.mktemp()
        requests.get(url, verify=False)
        assert value
        return data, obj, digest, path
''').lstrip()
# Each rule bandit 1.6.2 (Debian bookworm) gives the fixture: the two imports, then one per insecure call.
INSECURE_RULES = {"B403": 2, "B404": 3, "B602": 11, "B506": 12, "B301": 13, "B303": 14, "B307": 15, "B306": 16,
                  "B501": 17}

CLEAN_PYTHON = "def add(a, b):\n    return a + b\n\n\nassert add(1, 2) == 3\n"
BROKEN_PYTHON = "def add(a, b):\n    return a +\n"

# Every error exits 0: memcheck must not look at the exit status.
MEMORY_ERRORS_C = textwrap.dedent('''
    #include <stdio.h>
    #include <stdlib.h>

    int main(void) {
        int *freed = malloc(4 * sizeof(int));
        freed[0] = 1;
        free(freed);
        int after = freed[0];
        int *lost = malloc(10 * sizeof(int));
        lost[0] = 2;
        lost = NULL;
        int unset;
        if (unset > 3)
            printf("big\\n");
        printf("%d\\n", after > 0);
        return 0;
    }
''').lstrip()
CLEAN_C = "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 2 + 3); return 0; }\n"

GO_PRINTF_MISUSE = textwrap.dedent('''
    package main

    import "fmt"

    func main() {
        name := "gopher"
        fmt.Printf("%d\\n", name)
    }
''').lstrip()
# SA4006: the first value of `total` is never read; S1005: a needless blank identifier in the range.
GO_STATICCHECK = textwrap.dedent('''
    package main

    import "fmt"

    func size() int { return 3 }

    func main() {
        total := size()
        total = 2
        for i, _ := range []int{1, 2} {
            fmt.Println(i, total)
        }
    }
''').lstrip()
CLEAN_GO = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(1 + 2)\n}\n'
