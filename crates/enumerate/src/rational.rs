//! Exact rational amounts, so that compositions such as Li2In1/3Sc1/3Cl4 are represented
//! exactly, hash identically on every platform and give exact site counts in supercells.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A rational number p/q with q > 0 and gcd(p, q) = 1 (i128 arithmetic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rational {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Rational {
    pub const ZERO: Rational = Rational { num: 0, den: 1 };
    pub const ONE: Rational = Rational { num: 1, den: 1 };

    /// p/q reduced; `q` must not be 0.
    pub fn new(num: i128, den: i128) -> Rational {
        assert!(den != 0, "zero denominator");
        let g = gcd(num, den).max(1);
        let s = if den < 0 { -1 } else { 1 };
        Rational {
            num: s * num / g,
            den: s * den / g,
        }
    }

    /// An integer.
    pub fn int(n: i64) -> Rational {
        Rational::new(n as i128, 1)
    }

    /// The simplest fraction p/q with q ≤ `max_den` within `tolerance` of `x` (smallest q
    /// first), else `x` rounded to 1e-9 as a decimal fraction. `None` for non-finite `x`.
    ///
    /// This is how typed amounts such as 0.666 or 0.111 become 2/3 and 1/9.
    pub fn snap(x: f64, max_den: i128, tolerance: f64) -> Option<Rational> {
        if !x.is_finite() || x.abs() > 1e12 {
            return None;
        }
        for q in 1..=max_den.max(1) {
            let p = (x * q as f64).round();
            if (p / q as f64 - x).abs() <= tolerance {
                return Some(Rational::new(p as i128, q));
            }
        }
        Some(Rational::new((x * 1e9).round() as i128, 1_000_000_000))
    }

    /// The nearest multiple of 1/`den`.
    pub fn round_to(x: f64, den: i128) -> Rational {
        Rational::new((x * den as f64).round() as i128, den)
    }

    pub fn num(self) -> i128 {
        self.num
    }
    pub fn den(self) -> i128 {
        self.den
    }
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
    pub fn is_zero(self) -> bool {
        self.num == 0
    }
    pub fn is_negative(self) -> bool {
        self.num < 0
    }
    pub fn is_integer(self) -> bool {
        self.den == 1
    }
    pub fn min(self, o: Rational) -> Rational {
        if self <= o {
            self
        } else {
            o
        }
    }
    pub fn max(self, o: Rational) -> Rational {
        if self >= o {
            self
        } else {
            o
        }
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl Serialize for Rational {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Rational {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.num * o.den).cmp(&(o.num * self.den))
    }
}
impl Add for Rational {
    type Output = Rational;
    fn add(self, o: Rational) -> Rational {
        Rational::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }
}
impl Sub for Rational {
    type Output = Rational;
    fn sub(self, o: Rational) -> Rational {
        Rational::new(self.num * o.den - o.num * self.den, self.den * o.den)
    }
}
impl Mul for Rational {
    type Output = Rational;
    fn mul(self, o: Rational) -> Rational {
        Rational::new(self.num * o.num, self.den * o.den)
    }
}
impl Div for Rational {
    type Output = Rational;
    fn div(self, o: Rational) -> Rational {
        Rational::new(self.num * o.den, self.den * o.num)
    }
}
impl Neg for Rational {
    type Output = Rational;
    fn neg(self) -> Rational {
        Rational::new(-self.num, self.den)
    }
}
impl std::iter::Sum for Rational {
    fn sum<I: Iterator<Item = Rational>>(it: I) -> Rational {
        it.fold(Rational::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapping_and_arithmetic() {
        let s = |x| Rational::snap(x, 12, 1e-3).unwrap();
        assert_eq!(s(0.666), Rational::new(2, 3));
        assert_eq!(s(0.111), Rational::new(1, 9));
        assert_eq!(s(0.444), Rational::new(4, 9));
        assert_eq!(s(0.5), Rational::new(1, 2));
        assert_eq!(s(0.664), Rational::new(664, 1000));
        assert_eq!(s(0.0), Rational::ZERO);
        assert!(Rational::snap(f64::NAN, 12, 1e-3).is_none());
        let a = Rational::new(2, 3) - Rational::new(1, 9);
        assert_eq!(a, Rational::new(5, 9));
        assert_eq!((a * Rational::int(9)).to_string(), "5");
        assert_eq!(Rational::new(3, -6).to_string(), "-1/2");
        assert!(Rational::new(1, 3) < Rational::new(1, 2));
        assert_eq!(Rational::round_to(0.622, 6), Rational::new(2, 3));
    }
}
