//! Articles and questions beyond English: Russian (stemmed as Russian, whether or not the file
//! says `lang: ru`), Persian (Arabic letter variants, ZWNJ, Persian digits, typos) and Arabic.
//! The articles are short texts of our own.

use std::path::Path;

use quotebot::{Article, Engine, Index, SearchConfig};

fn engine(files: &[(&str, &str)]) -> Engine {
    let articles = files
        .iter()
        .map(|(name, text)| {
            Article::parse(Path::new(name), text.as_bytes())
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .0
        })
        .collect();
    Engine::new(Index::build(articles), SearchConfig::default())
}

#[track_caller]
fn assert_answer(engine: &Engine, question: &str, want: &str) {
    let answers = engine.ask(question);
    let got: Vec<&str> = answers.iter().map(|a| a.quote.as_str()).collect();
    assert_eq!(got.first().copied(), Some(want), "{question:?} → {got:?}");
}

const RUSSIAN: &str = "title: Урожай зерна\ndate: 2024-10-02\n\n\
Россия собрала рекордный урожай пшеницы в этом году. \
Экспорт зерна в Иран вырос на треть, сообщило министерство. \
Цены на хлеб в магазинах Москвы остались прежними.";

const RUSSIAN_UNMARKED: &str = "date 2024-10-05 Железная дорога Решт — Астара будет построена к 2028 году. \
Проект обсуждали в Тегеране.";

#[test]
fn russian_word_forms_and_typos() {
    let e = engine(&[("ru/grain.txt", RUSSIAN), ("ru/rail.txt", RUSSIAN_UNMARKED)]);
    let export = "Экспорт зерна в Иран вырос на треть, сообщило министерство.";
    // Other forms of the same words: зерно/зерна, Ирана/Иран, экспорте/экспорт.
    assert_answer(&e, "Что известно об экспорте зерна в Иран?", export);
    assert_answer(
        &e,
        "урожай пшенцы",
        "Россия собрала рекордный урожай пшеницы в этом году.",
    );
    assert_answer(
        &e,
        "цены на хлеб в Москве",
        "Цены на хлеб в магазинах Москвы остались прежними.",
    );
    // No `lang` header: the script decides.
    assert_answer(
        &e,
        "когда построят железную дорогу",
        "Железная дорога Решт — Астара будет построена к 2028 году.",
    );
    assert!(e.ask("столица Франции").is_empty());
}

const PERSIAN: &str = "title: صادرات گندم\ndate: 2024-10-03\nlang: fa\n\n\
ایران و روسیه درباره صادرات گندم مذاکره کردند.\n\n\
قیمت نان در تهران ثابت ماند.\n\n\
قرارداد جدید در سال ۱۴۰۳ امضا شد و کشتی‌ها بار را می‌برند.";

#[test]
fn persian_letter_variants_digits_zwnj_and_typos() {
    let e = engine(&[("fa/wheat.txt", PERSIAN)]);
    let wheat = "ایران و روسیه درباره صادرات گندم مذاکره کردند.";
    assert_answer(&e, "صادرات گندم", wheat);
    // Arabic yeh (ي) and kaf (ك) for the Persian letters.
    assert_answer(&e, "صادرات گندم ايران", wheat);
    assert_answer(&e, "قيمت نان", "قیمت نان در تهران ثابت ماند.");
    // A typo: a missing letter.
    assert_answer(&e, "صادرت گندم", wheat);
    // ASCII digits for Persian ones, and a word written without its ZWNJ.
    let deal = "قرارداد جدید در سال ۱۴۰۳ امضا شد و کشتی‌ها بار را می‌برند.";
    assert_answer(&e, "قرارداد 1403", deal);
    assert_answer(&e, "کشتیها", deal);
}

const ARABIC: &str = "title: تصدير القمح\ndate: 2024-10-04\nlang: ar\n\n\
وقّعت مصر اتفاقية لاستيراد القمح من روسيا.\n\n\
ارتفعت أسعار الخبز في القاهرة.";

#[test]
fn arabic_diacritics_and_hamza_forms() {
    let e = engine(&[("ar/wheat.txt", ARABIC)]);
    // Without the shadda of the article, and with a bare alef for the hamza.
    assert_answer(
        &e,
        "وقعت مصر اتفاقية القمح",
        "وقّعت مصر اتفاقية لاستيراد القمح من روسيا.",
    );
    assert_answer(&e, "اسعار الخبز", "ارتفعت أسعار الخبز في القاهرة.");
}

#[test]
fn languages_side_by_side_do_not_mix() {
    let e = engine(&[
        ("ru/grain.txt", RUSSIAN),
        ("fa/wheat.txt", PERSIAN),
        ("ar/wheat.txt", ARABIC),
        (
            "en/grain.txt",
            "date 2024-10-01 Wheat exports to Iran rose by a third.",
        ),
    ]);
    assert_answer(
        &e,
        "wheat exports Iran",
        "Wheat exports to Iran rose by a third.",
    );
    assert_answer(
        &e,
        "экспорт зерна",
        "Экспорт зерна в Иран вырос на треть, сообщило министерство.",
    );
    assert_answer(
        &e,
        "صادرات گندم",
        "ایران و روسیه درباره صادرات گندم مذاکره کردند.",
    );
}
