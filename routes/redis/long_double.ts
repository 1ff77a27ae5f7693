/**
 * INCRBYFLOAT's arithmetic, emulated exactly. Redis 7.0 parses both numbers
 * with `strtold`, adds them as C `long double`s and prints the sum with
 * `%.17Lf`, then trims trailing zeros. On x86-64 (where Debian's redis-server
 * runs here) a `long double` is the x87 80-bit format: a 64-bit significand.
 *
 * Exact decimal arithmetic on the two strings would agree with Redis for
 * short decimals but not in general: `strtold` rounds each input to 64 bits,
 * the sum is rounded to 64 bits, and `%.17Lf` prints the exact value of that
 * binary number (e.g. digits past the 19th significant one). So this module
 * does what the C code does, with `bigint`s: correctly rounded parsing
 * (round half to even, as glibc), a correctly rounded sum, and exact decimal
 * printing rounded half to even at 17 fractional digits (as glibc's printf).
 *
 * Known differences, all far from everyday numbers: subnormal values (below
 * about 3.4e-4932) keep 64 bits here instead of losing precision, and the
 * underflow bound is approximate; both only change results that print as 0.
 *
 * @module
 */

/** Bits of the significand of an x87 `long double`. */
const PRECISION = 64;
/** A finite value at or above 2^MAX_BINARY_EXPONENT overflows to infinity. */
const MAX_BINARY_EXPONENT = 16384;
/** Redis's `MAX_LONG_DOUBLE_CHARS`: longer texts are not numbers. */
const MAX_CHARS = 5 * 1024;
/** Decimal exponents beyond which `strtold` overflows or underflows. */
const MAX_DECIMAL_EXPONENT = 4933;
const MIN_DECIMAL_EXPONENT = -4951;

/** A finite long double: (-1)^negative × mantissa × 2^exponent. */
export interface LongDouble {
  /** The sign (a zero may be negative). */
  negative: boolean;
  /** The significand, below 2^64; 0n for zero. */
  mantissa: bigint;
  /** The power of two the significand is scaled by. */
  exponent: number;
}

/** An infinite value, which `strtold` accepts ("inf", "infinity"). */
export const INFINITE = "infinite";

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX =
  /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const SPACE = /^[ \t\n\v\f\r]/;

/**
 * Parses `text` as Redis's `string2ld` does (`strtold` over the whole text,
 * no leading space, no NaN, no overflow or underflow to zero); returns
 * undefined when it is not such a number.
 */
export function parseLongDouble(
  text: string,
): LongDouble | typeof INFINITE | undefined {
  if (text.length === 0 || text.length >= MAX_CHARS || SPACE.test(text)) {
    return undefined;
  }
  if (INFINITY.test(text)) return INFINITE;
  const hex = HEX.exec(text);
  if (hex !== null) {
    const [, sign, whole, fraction = "", power = "0"] = hex;
    if (whole.length + fraction.length === 0) return undefined;
    const digits = BigInt("0x" + (whole + fraction || "0"));
    const exponent = Number(power) - 4 * fraction.length;
    return fromBinary(sign === "-", digits, exponent);
  }
  const decimal = DECIMAL.exec(text);
  if (decimal === null) return undefined;
  const [, sign, whole, fraction = "", power = "0"] = decimal;
  if (whole.length + fraction.length === 0) return undefined;
  const digits = (whole + fraction).replace(/^0+/, "");
  const negative = sign === "-";
  if (digits.length === 0) return { negative, mantissa: 0n, exponent: 0 };
  const exponent10 = Number(power) - fraction.length;
  const magnitude = exponent10 + digits.length - 1;
  if (magnitude > MAX_DECIMAL_EXPONENT || magnitude < MIN_DECIMAL_EXPONENT) {
    return undefined;
  }
  const value = BigInt(digits);
  const rounded = exponent10 >= 0
    ? round(value * 10n ** BigInt(exponent10), 1n)
    : round(value, 10n ** BigInt(-exponent10));
  return finite(negative, rounded);
}

/** Adds two parsed numbers; undefined when the sum is infinite or NaN. */
export function addLongDouble(
  a: LongDouble | typeof INFINITE,
  b: LongDouble | typeof INFINITE,
): LongDouble | undefined {
  if (a === INFINITE || b === INFINITE) return undefined;
  const exponent = Math.min(a.exponent, b.exponent);
  const x = a.mantissa << BigInt(a.exponent - exponent);
  const y = b.mantissa << BigInt(b.exponent - exponent);
  const sum = (a.negative ? -x : x) + (b.negative ? -y : y);
  if (sum === 0n) {
    return { negative: a.negative && b.negative, mantissa: 0n, exponent: 0 };
  }
  const negative = sum < 0n;
  const rounded = round(negative ? -sum : sum, 1n);
  rounded.exponent += exponent;
  return finite(negative, rounded);
}

/**
 * Formats `value` as Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, then
 * trailing zeros (and a trailing point) removed, and `-0` written `0`.
 */
export function formatLongDouble(value: LongDouble): string {
  const { mantissa, exponent } = value;
  let scaled: bigint; // value × 10^17, rounded half to even
  if (exponent >= 0) {
    scaled = (mantissa << BigInt(exponent)) * 10n ** 17n;
  } else {
    const places = -exponent; // value = mantissa × 5^places / 10^places
    const exact = mantissa * 5n ** BigInt(places);
    if (places <= 17) {
      scaled = exact * 10n ** BigInt(17 - places);
    } else {
      const divisor = 10n ** BigInt(places - 17);
      scaled = exact / divisor;
      const twice = 2n * (exact % divisor);
      if (twice > divisor || (twice === divisor && (scaled & 1n) === 1n)) {
        scaled++;
      }
    }
  }
  if (scaled === 0n) return "0";
  const digits = scaled.toString().padStart(18, "0");
  const whole = digits.slice(0, -17);
  const fraction = digits.slice(-17).replace(/0+$/, "");
  return (value.negative ? "-" : "") + whole +
    (fraction === "" ? "" : "." + fraction);
}

/** A value from its sign and an exact binary `digits × 2^exponent`. */
function fromBinary(
  negative: boolean,
  digits: bigint,
  exponent: number,
): LongDouble | undefined {
  if (digits === 0n) return { negative, mantissa: 0n, exponent: 0 };
  const top = bitLength(digits) + exponent;
  if (top > MAX_BINARY_EXPONENT || top < -16445) return undefined;
  const rounded = exponent >= 0
    ? round(digits << BigInt(exponent), 1n)
    : round(digits, 1n << BigInt(-exponent));
  return finite(negative, rounded);
}

/** The value with `negative`'s sign, or undefined if it overflowed. */
function finite(
  negative: boolean,
  rounded: { mantissa: bigint; exponent: number },
): LongDouble | undefined {
  if (bitLength(rounded.mantissa) + rounded.exponent > MAX_BINARY_EXPONENT) {
    return undefined;
  }
  return { negative, ...rounded };
}

/**
 * Rounds the positive fraction `numerator / denominator` to
 * {@linkcode PRECISION} significant bits, half to even.
 */
function round(
  numerator: bigint,
  denominator: bigint,
): { mantissa: bigint; exponent: number } {
  // Scale so that the quotient has PRECISION + 1 or + 2 bits.
  const shift = PRECISION + 1 - (bitLength(numerator) - bitLength(denominator));
  const n = shift >= 0 ? numerator << BigInt(shift) : numerator;
  const d = shift >= 0 ? denominator : denominator << BigInt(-shift);
  let quotient = n / d;
  const sticky = n % d !== 0n;
  const extra = bitLength(quotient) - PRECISION;
  const low = quotient & ((1n << BigInt(extra)) - 1n);
  const half = 1n << BigInt(extra - 1);
  quotient >>= BigInt(extra);
  let exponent = extra - shift;
  if (low > half || (low === half && (sticky || (quotient & 1n) === 1n))) {
    quotient++;
    if (quotient === 1n << BigInt(PRECISION)) {
      quotient >>= 1n;
      exponent++;
    }
  }
  return { mantissa: quotient, exponent };
}

/** Number of bits of a positive `bigint`. */
function bitLength(value: bigint): number {
  const hex = value.toString(16);
  return hex.length * 4 - (Math.clz32(parseInt(hex[0], 16)) - 28);
}
