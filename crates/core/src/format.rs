//! Numbers written with the precision their error bars support: values to a number of
//! significant digits, uncertainties to two, and an uncertainty that is numerically zero (below
//! 1e-9 of its value, e.g. 1e-17 from rounding) written as `0`.

/// `x` to `digits` significant digits: plain notation for 1e-3 ≤ |x| < 1e5, scientific
/// otherwise (`significant(0.0020437, 3)` = `0.00204`, `significant(2.0437e-5, 3)` =
/// `2.04e-5`); `""` for non-finite values.
pub fn significant(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = digits.max(1);
    let exp = x.abs().log10().floor() as i32;
    // rounding can carry to the next power of ten (9.996 → 10.0)
    let rounded: f64 = format!("{:.*e}", digits - 1, x).parse().unwrap_or(x);
    let exp = if rounded.abs() >= 10f64.powi(exp + 1) {
        exp + 1
    } else {
        exp
    };
    if (-3..5).contains(&exp) {
        let decimals = (digits as i32 - 1 - exp).max(0) as usize;
        format!("{rounded:.decimals$}")
    } else {
        let s = format!("{:.*e}", digits - 1, x);
        s.replace("e-0", "e-")
    }
}

/// An uncertainty `se` of a value `value`: two significant digits, or `0` when it is below
/// 1e-9 of |value| (a numerically exact quantity).
pub fn uncertainty(se: f64, value: f64) -> String {
    if se.is_finite() && se.abs() <= 1e-9 * value.abs().max(f64::MIN_POSITIVE) {
        return "0".into();
    }
    significant(se, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_and_notation() {
        assert_eq!(significant(0.0020437, 3), "0.00204");
        assert_eq!(significant(2.0437e-5, 3), "2.04e-5");
        assert_eq!(significant(0.29749, 3), "0.297");
        assert_eq!(significant(3.9812, 3), "3.98");
        assert_eq!(significant(3460.4, 3), "3460");
        assert_eq!(significant(9.996e-4, 3), "0.00100");
        assert_eq!(significant(123456.0, 3), "1.23e5");
        assert_eq!(significant(-0.0123456, 2), "-0.012");
        assert_eq!(significant(f64::NAN, 3), "");
    }

    #[test]
    fn uncertainties_have_two_digits_and_rounding_noise_is_zero() {
        assert_eq!(uncertainty(0.00017345, 0.002), "1.7e-4");
        assert_eq!(uncertainty(0.0017345, 0.02), "0.0017");
        assert_eq!(uncertainty(1e-17, 3.98), "0");
        assert_eq!(uncertainty(0.0081, 0.297), "0.0081");
    }
}
