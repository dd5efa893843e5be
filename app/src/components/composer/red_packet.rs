//! The "Send red packet" dialog: an amount in yuan (two decimals at most, turned into cents
//! here, never through floating point) and a greeting.

use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::protocol::body::{Media, MessageBody};
use leptos::{ev::SubmitEvent, html, prelude::*};

/// The largest red packet in cents (¥1,000,000.00), the limit `MessageBody` enforces.
pub const MAX_CENTS: i64 = 100_000_000;

/// Most characters of a greeting in this dialog (the protocol allows a longer memo).
const GREETING_MAX: usize = 100;

/// Why an amount was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Nothing was entered.
    Empty,
    /// Not a plain decimal number.
    NotANumber,
    /// More than two decimal places (there is nothing below a fen).
    TooPrecise,
    /// Zero.
    Zero,
    /// Above [`MAX_CENTS`].
    TooLarge,
}

impl AmountError {
    /// The inline message shown under the amount.
    pub fn msg(self, locale: Locale) -> &'static str {
        match self {
            AmountError::Empty => td_string!(locale, amount_empty),
            AmountError::NotANumber => td_string!(locale, amount_nan),
            AmountError::TooPrecise => td_string!(locale, amount_precise),
            AmountError::Zero => td_string!(locale, amount_zero),
            AmountError::TooLarge => td_string!(locale, amount_large),
        }
    }
}

/// Parses an amount in yuan (`8.88`, `¥8.8`, `10`, `.5`, full-width digits from a Chinese
/// input method) into cents. Signs, exponents, separators and a third decimal are refused
/// rather than guessed at.
pub fn parse_yuan(input: &str) -> Result<i64, AmountError> {
    // Full-width digits and point (what a Chinese IME may type) count as their ASCII twins.
    let normal: String = input
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c),
            '．' => '.',
            c => c,
        })
        .collect();
    let s = normal
        .strip_prefix(['¥', '￥'])
        .unwrap_or(&normal)
        .trim_start();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(frac) || (whole.is_empty() && frac.is_empty()) {
        return Err(AmountError::NotANumber);
    }
    if frac.len() > 2 {
        return Err(AmountError::TooPrecise);
    }
    let whole = whole.trim_start_matches('0');
    // More digits than the cap has can only be too large (and could overflow).
    if whole.len() > 7 {
        return Err(AmountError::TooLarge);
    }
    let yuan: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| AmountError::NotANumber)?
    };
    let fen: i64 = format!("{frac:0<2}")
        .parse()
        .map_err(|_| AmountError::NotANumber)?;
    let cents = yuan * 100 + fen;
    match cents {
        0 => Err(AmountError::Zero),
        c if c > MAX_CENTS => Err(AmountError::TooLarge),
        c => Ok(c),
    }
}

/// The dialog's form. `send` gets the checked red-packet body; the caller closes the dialog.
#[component]
pub fn RedPacketForm(
    /// Sends the red packet.
    send: Callback<MessageBody>,
) -> impl IntoView {
    let i18n = use_i18n();
    let amount = NodeRef::<html::Input>::new();
    let greeting = NodeRef::<html::Input>::new();
    let error = RwSignal::new(None::<String>);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(amount_in), Some(greeting_in)) = (amount.get(), greeting.get()) else {
            return;
        };
        let cents = match parse_yuan(&amount_in.value()) {
            Ok(c) => c,
            Err(e) => {
                error.set(Some(e.msg(i18n.get_locale_untracked()).to_owned()));
                let _ = amount_in.focus();
                return;
            }
        };
        let memo = greeting_in.value().trim().to_owned();
        let memo = if memo.is_empty() {
            td_string!(i18n.get_locale_untracked(), best_wishes).to_owned()
        } else {
            memo
        };
        match MessageBody::new(
            Media::RedPacket.code(),
            String::new(),
            String::new(),
            String::new(),
            memo,
            cents,
        ) {
            Ok(body) => send.run(body),
            Err(e) => error.set(Some(e.msg)),
        }
    };
    let invalid = move || error.get().is_some().then_some("true");

    view! {
        <form class="stack red-packet-form" on:submit=on_submit novalidate>
            <label>
                {t!(i18n, amount_yuan)}
                <input name="amount" node_ref=amount inputmode="decimal" autocomplete="off" autofocus
                    placeholder="0.00" maxlength="16" aria-invalid=invalid
                    aria-describedby="red-packet-amount-error"
                    on:input=move |_| error.set(None)/>
            </label>
            <p id="red-packet-amount-error" class="form-error" role="alert"
                hidden=move || error.get().is_none()>{move || error.get()}</p>
            <label>
                {t!(i18n, greeting)}
                <input name="memo" node_ref=greeting autocomplete="off" maxlength=GREETING_MAX.to_string()
                    value=td_string!(i18n.get_locale_untracked(), best_wishes)/>
            </label>
            <button type="submit">{t!(i18n, send)}</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_become_cents() {
        assert_eq!(parse_yuan("8.88"), Ok(888));
        assert_eq!(parse_yuan("8.8"), Ok(880));
        assert_eq!(parse_yuan("10"), Ok(1000));
        assert_eq!(parse_yuan("10."), Ok(1000));
        assert_eq!(parse_yuan(".5"), Ok(50));
        assert_eq!(parse_yuan("0.01"), Ok(1));
        assert_eq!(parse_yuan("  ¥ 6.66 "), Ok(666));
        assert_eq!(parse_yuan("￥0066"), Ok(6600));
        assert_eq!(parse_yuan("８．８８"), Ok(888));
        assert_eq!(parse_yuan("1000000"), Ok(MAX_CENTS));
        assert_eq!(parse_yuan("1000000.00"), Ok(MAX_CENTS));
    }

    #[test]
    fn bad_amounts_are_refused_with_a_reason() {
        assert_eq!(parse_yuan(""), Err(AmountError::Empty));
        assert_eq!(parse_yuan("  ¥ "), Err(AmountError::Empty));
        assert_eq!(parse_yuan("."), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("-5"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("+5"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("1e3"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("1,000"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("1.2.3"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("abc"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("1.234"), Err(AmountError::TooPrecise));
        assert_eq!(parse_yuan("0"), Err(AmountError::Zero));
        assert_eq!(parse_yuan("0.00"), Err(AmountError::Zero));
        assert_eq!(parse_yuan("1000000.01"), Err(AmountError::TooLarge));
        assert_eq!(
            parse_yuan("99999999999999999999999"),
            Err(AmountError::TooLarge)
        );
        assert_eq!(parse_yuan("00000000000001.00"), Ok(100));
    }

    #[test]
    fn the_cap_is_the_protocols() {
        let body = |cents| {
            MessageBody::new(
                5,
                String::new(),
                String::new(),
                String::new(),
                "x".into(),
                cents,
            )
        };
        assert!(body(MAX_CENTS).is_ok());
        assert!(body(MAX_CENTS + 1).is_err());
        assert!(body(1).is_ok());
    }
}
