/* Every construct the C lowering knows, for the invariant and determinism tests. */
#include <stdio.h>

static int sum(const int *xs, int n) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        if (xs[i] < 0) continue;
        if (xs[i] > 100) break;
        total += xs[i];
    }
    return total;
}

int classify(int n) {
    int kind = 0;
    switch (n) {
    case 0:
        kind = 1;
    case 1:
        kind += 2;
        break;
    default:
        kind = -1;
    }
    do {
        n--;
    } while (n > 0);
    while (1) {
        if (n++ > 3) goto out;
    }
out:
    return kind + n;
}
