"""A sample program for `make bench`: prints FizzBuzz up to 15 and checks itself."""


def fizzbuzz(n: int) -> str:
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)


words = [fizzbuzz(n) for n in range(1, 16)]
assert words[-1] == "FizzBuzz" and words[2] == "Fizz" and words[4] == "Buzz"
print(" ".join(words))
