//! Value types with their validation: SKU, quantity, currency, tracking number, page size.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

fn shown(text: &str) -> String {
    let mut shown: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        shown.push('…');
    }
    shown
}

/// Checks a code made of `[A-Za-z0-9._-]`, 1 to `max` characters.
fn check_code(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    if text.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters (got {chars})"),
        ));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ValidationError::new(
            field,
            format!(
                "`{}` may contain only letters, digits, '.', '_' and '-'",
                shown(text)
            ),
        ));
    }
    Ok(())
}

validated_text!(
    /// A stock-keeping unit: 1 to 64 characters from `[A-Za-z0-9._-]`, case kept.
    ///
    /// ```
    /// let sku = orders_domain::Sku::parse("BOOK-RUST-2021")?;
    /// assert_eq!(sku.as_str(), "BOOK-RUST-2021");
    /// assert!(orders_domain::Sku::parse("two words").is_err());
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    Sku,
    "sku",
    64,
    check_code
);

validated_text!(
    /// The carrier's tracking number: 1 to 64 characters from `[A-Za-z0-9._-]`.
    ///
    /// ```
    /// let tracking = orders_domain::TrackingNumber::parse("1Z999AA10123456784")?;
    /// assert_eq!(tracking.to_string(), "1Z999AA10123456784");
    /// # Ok::<(), orders_domain::ValidationError>(())
    /// ```
    TrackingNumber,
    "trackingNumber",
    64,
    check_code
);

/// How many of one SKU an order line holds: 1 to 99.
///
/// ```
/// use orders_domain::Quantity;
/// assert_eq!(Quantity::new(2)?.get(), 2);
/// assert!(Quantity::new(100).is_err());
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Quantity(u8);

impl Quantity {
    /// The least quantity of a line.
    pub const MIN: u8 = 1;
    /// The most quantity of a line.
    pub const MAX: u8 = 99;

    /// Takes any integer so that `0`, `-1` or `1000` in a request is a field error, not a
    /// deserialization failure.
    pub fn new(value: i64) -> Result<Quantity, ValidationError> {
        match u8::try_from(value) {
            Ok(n) if (Self::MIN..=Self::MAX).contains(&n) => Ok(Quantity(n)),
            _ => Err(ValidationError::new(
                "quantity",
                format!(
                    "must be between {} and {} (got {value})",
                    Self::MIN,
                    Self::MAX
                ),
            )),
        }
    }

    /// The number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Quantity::new(i64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The active ISO 4217 currency codes that can price an order (fund, precious-metal,
/// testing and "no currency" codes are left out), sorted for binary search.
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
    "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
    "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY",
    "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
    "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK",
    "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG",
    "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 alphabetic currency code (`EUR`); amounts are integers in its minor unit.
///
/// ```
/// use orders_domain::Currency;
/// assert_eq!(Currency::parse("eur")?.as_str(), "EUR");
/// assert!(Currency::parse("XYZ").is_err());
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(&'static str);

impl Currency {
    /// Parses a code of the active ISO 4217 list, in either case.
    pub fn parse(text: &str) -> Result<Currency, ValidationError> {
        let upper = text.to_ascii_uppercase();
        ISO_4217
            .binary_search(&upper.as_str())
            .ok()
            .and_then(|index| ISO_4217.get(index))
            .map(|&code| Currency(code))
            .ok_or_else(|| {
                ValidationError::new(
                    "currency",
                    format!("`{}` is not an active ISO 4217 currency code", shown(text)),
                )
            })
    }

    /// The upper-case code.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.0)
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// How many orders one page of a listing holds: 1 to 100, 20 by default.
///
/// ```
/// use orders_domain::PageSize;
/// assert_eq!(PageSize::default().get(), 20);
/// assert_eq!(PageSize::new(50)?.get(), 50);
/// assert!(PageSize::new(0).is_err());
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageSize(u8);

impl PageSize {
    /// The largest page.
    pub const MAX: u8 = 100;
    /// The page size when the caller gives none.
    pub const DEFAULT: PageSize = PageSize(20);

    /// A size of 1 to [`PageSize::MAX`].
    pub fn new(value: i64) -> Result<PageSize, ValidationError> {
        match u8::try_from(value) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(PageSize(n)),
            _ => Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {} (got {value})", Self::MAX),
            )),
        }
    }

    /// Parses a query-string value such as `?limit=50`.
    pub fn parse(text: &str) -> Result<PageSize, ValidationError> {
        text.trim()
            .parse::<i64>()
            .map_err(|_| {
                ValidationError::new("limit", format!("`{}` is not a whole number", shown(text)))
            })
            .and_then(PageSize::new)
    }

    /// The number of items.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sku_and_tracking_number_accept_codes_and_name_what_is_wrong() {
        assert_eq!(
            Sku::parse("mug_ferris.v2").unwrap().as_str(),
            "mug_ferris.v2"
        );
        assert_eq!(
            Sku::parse("").unwrap_err().to_string(),
            "sku: must not be empty"
        );
        let long = Sku::parse(&"A".repeat(65)).unwrap_err();
        assert_eq!(long.reason(), "must be at most 64 characters (got 65)");
        assert!(Sku::parse(&"A".repeat(64)).is_ok());
        let space = Sku::parse("BOOK 1").unwrap_err();
        assert!(space.reason().contains("`BOOK 1`"), "{space}");
        let tracking = TrackingNumber::parse("1Z 999").unwrap_err();
        assert_eq!(tracking.field(), "trackingNumber");
        let shortened = Sku::parse(&format!("{}!", "B".repeat(70))).unwrap_err();
        assert!(shortened.reason().contains("at most 64"), "{shortened}");
        assert_eq!("X-1".parse::<Sku>().unwrap(), Sku::parse("X-1").unwrap());
        assert_eq!("1Z9".parse::<TrackingNumber>().unwrap().to_string(), "1Z9");
    }

    #[test]
    fn long_bad_text_is_shortened_in_messages() {
        let text = format!("{} {}", "A".repeat(30), "B".repeat(30));
        assert_eq!(shown(&text).chars().count(), 41);
        assert!(shown(&text).ends_with('…'));
        assert_eq!(shown("abc"), "abc");
    }

    #[test]
    fn quantity_is_one_to_ninety_nine() {
        assert_eq!(Quantity::new(1).unwrap().get(), 1);
        assert_eq!(Quantity::new(99).unwrap().get(), 99);
        for bad in [0, 100, -1, 256, i64::MAX] {
            let error = Quantity::new(bad).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("quantity: must be between 1 and 99 (got {bad})")
            );
        }
        assert_eq!(serde_json::from_str::<Quantity>("7").unwrap().get(), 7);
        let error = serde_json::from_str::<Quantity>("0").unwrap_err();
        assert!(error.to_string().contains("between 1 and 99"), "{error}");
    }

    #[test]
    fn currency_list_is_sorted_and_unique_so_binary_search_works() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_4217
            .iter()
            .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
        for code in ISO_4217 {
            assert_eq!(Currency::parse(code).unwrap().as_str(), *code);
        }
    }

    #[test]
    fn currency_is_an_active_iso_code_in_either_case() {
        assert_eq!(Currency::parse("jpy").unwrap().to_string(), "JPY");
        assert_eq!(
            format!("{:?}", Currency::parse("EUR").unwrap()),
            "Currency(EUR)"
        );
        for bad in ["", "EU", "EURO", "XYZ", "XAU", "€"] {
            let error = Currency::parse(bad).unwrap_err();
            assert_eq!(error.field(), "currency");
            assert!(error.reason().contains(&format!("`{bad}`")), "{error}");
        }
        let json = serde_json::to_string(&Currency::parse("GBP").unwrap()).unwrap();
        assert_eq!(json, "\"GBP\"");
        assert_eq!(
            serde_json::from_str::<Currency>(&json).unwrap(),
            "GBP".parse::<Currency>().unwrap()
        );
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }

    #[test]
    fn page_size_is_one_to_a_hundred_with_a_default() {
        assert_eq!(PageSize::default(), PageSize::DEFAULT);
        assert_eq!(PageSize::parse(" 100 ").unwrap().get(), 100);
        assert_eq!(
            PageSize::new(101).unwrap_err().to_string(),
            "limit: must be between 1 and 100 (got 101)"
        );
        assert!(PageSize::new(0).is_err());
        let error = PageSize::parse("ten").unwrap_err();
        assert_eq!(error.to_string(), "limit: `ten` is not a whole number");
    }
}
