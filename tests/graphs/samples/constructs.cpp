// Every construct the C++ lowering knows, for the invariant and determinism tests.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace shapes {

struct Stack {
    std::vector<int> items;
    explicit Stack(int reserve) : items() { items.reserve(reserve); }
    void push(int x) { items.push_back(x); }
    int pop();
    bool operator==(const Stack& other) const { return items == other.items; }
    ~Stack() {}
};

template <typename T>
T largest(const std::vector<T>& xs) {
    if (xs.empty()) throw std::invalid_argument("empty");
    T best = xs[0];
    for (const auto& x : xs) {
        if (x > best) best = x;
    }
    return best;
}

}  // namespace shapes

int shapes::Stack::pop() {
    if (items.empty()) throw std::out_of_range("pop");
    int top = items.back();
    items.pop_back();
    return top;
}

int classify(int n) {
    int kind = 0;
    switch (n % 4) {
    case 0:
        kind = 1;
    case 1:
        kind += 2;
        break;
    default:
        kind = -1;
    }
    return kind;
}

long total(const std::map<std::string, int>& counts, int limit) {
    long sum = 0;
    int seen = 0;
    for (auto& [name, count] : counts) {
        if (name.empty()) continue;
        if (++seen > limit) break;
        sum += count;
    }
    int i = 0;
    do {
        sum -= i;
    } while (++i < 3);
    while (true) {
        if (sum > 100) goto done;
        sum *= 2;
        if (sum == 0) break;
    }
done:
    return sum;
}

int guarded(int n) {
    int result = 0;
    try {
        try {
            result = shapes::largest(std::vector<int>{n, 2 * n});
        } catch (const std::invalid_argument& e) {
            result = -1;
            throw;
        }
    } catch (const std::exception& e) {
        result = -2;
    } catch (...) {
        return -3;
    }
    auto scale = [result, &n, factor = n + 1](int by) {
        auto twice = [=]() { return by * 2; };
        return result * factor * twice() + n;
    };
    for (;;) {
        if (n-- < 0) return scale(2);
    }
}

int forever(int n) {
    for (;;) {
        n++;
    }
}
