//! The language switch: English or Simplified Chinese.

use crate::i18n::{t, use_i18n, I18nLocaleTrait as _, Locale};
use leptos::prelude::*;

/// Switches the interface between English and Chinese. The choice is kept in a cookie, so
/// the server renders the next page in it too; named in the other language, as people
/// looking for their own language expect.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let other = move || match i18n.get_locale() {
        Locale::en => Locale::zh_CN,
        Locale::zh_CN => Locale::en,
    };
    view! {
        <button type="button" class="secondary small lang-switch"
            lang=move || other().as_str()
            on:click=move |_| i18n.set_locale(other())>
            {t!(i18n, other_lang_name)}
        </button>
    }
}
