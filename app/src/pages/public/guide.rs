use domain::clock::{ClockEvent, DayKind, STATUTORY_CLOCKS};
use leptos::prelude::*;
use leptos_i18n::I18nContext;

use crate::api::get_office_info;
use crate::components::labels::clock_label;
use crate::components::status::{ErrorMessage, Loading};
use crate::components::title::PageTitle;
use crate::i18n::*;

/// What a citizen needs before petitioning: the channels, the legal deadlines (read from
/// the one table of clocks the workflow runs on), and how personal data is kept.
#[component]
pub fn GuidePage() -> impl IntoView {
    let i18n = use_i18n();
    let rows = STATUTORY_CLOCKS
        .iter()
        .map(|clock| {
            let clock = *clock;
            let limit = move || match clock.day_kind {
                DayKind::Calendar => td_string!(i18n.get_locale(), guide.days, n = clock.days),
                DayKind::Working => td_string!(i18n.get_locale(), guide.working_days, n = clock.days),
            };
            view! {
                <tr>
                    <th scope="row">{move || clock_label(i18n, clock.step)}</th>
                    <td>{limit}</td>
                    <td>{move || event_label(i18n, clock.starts_at)}</td>
                    <td>{move || td_string!(i18n.get_locale(), guide.article, n = clock.article)}</td>
                </tr>
            }
        })
        .collect_view();
    let office = Resource::new(|| (), |_| get_office_info());
    view! {
        <PageTitle text=move || t_string!(i18n, guide.title) />
        <article class="prose">
            <h1>{t!(i18n, guide.title)}</h1>
            <p>{t!(i18n, guide.intro)}</p>
            <Suspense fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match office.await {
                        Ok(Some((township, info))) => view! {
                            <section class="panel" aria-labelledby="office-title" id="office-info">
                                <h2 id="office-title">{township}" · "{t!(i18n, office_info.public_title)}</h2>
                                <dl class="decision">
                                    <dt>{t!(i18n, fields.office_address)}</dt><dd class="text">{info.address}</dd>
                                    <dt>{t!(i18n, fields.phone)}</dt><dd class="text">{info.phone}</dd>
                                    {(!info.mailing_address.is_empty()).then(|| view! {
                                        <dt>{t!(i18n, fields.mailing_address)}</dt><dd class="text">{info.mailing_address.clone()}</dd>
                                    })}
                                    <dt>{t!(i18n, fields.reception)}</dt><dd class="text">{info.reception}</dd>
                                    {(!info.notes.is_empty()).then(|| view! {
                                        <dt>{t!(i18n, fields.notes)}</dt><dd class="text">{info.notes.clone()}</dd>
                                    })}
                                </dl>
                                <p><a href="/petition">{t!(i18n, nav.petition)}</a>" · "<a href="/track">{t!(i18n, nav.track)}</a></p>
                            </section>
                        }.into_any(),
                        Ok(None) => view! { <p class="hint">{t!(i18n, office_info.none)}</p> }.into_any(),
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>{t!(i18n, guide.channels_title)}</h2>
            <ul class="channels">
                <li>{t!(i18n, guide.channel_letter)}</li>
                <li>{t!(i18n, guide.channel_visit)}</li>
                <li>{t!(i18n, guide.channel_phone)}</li>
                <li>{t!(i18n, guide.channel_fax)}</li>
                <li>{t!(i18n, guide.channel_online)}</li>
            </ul>
            <h2 id="clocks">{t!(i18n, guide.clocks_title)}</h2>
            <div class="table-scroll">
                <table aria-labelledby="clocks">
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, guide.clock_step)}</th>
                            <th scope="col">{t!(i18n, guide.clock_limit)}</th>
                            <th scope="col">{t!(i18n, guide.clock_from)}</th>
                            <th scope="col">{t!(i18n, guide.clock_article)}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <h2>{t!(i18n, guide.group_title)}</h2>
            <p>{t!(i18n, guide.group_text)}</p>
            <h2>{t!(i18n, guide.privacy_title)}</h2>
            <p>{t!(i18n, guide.privacy_text)}</p>
        </article>
    }
}

fn event_label(i18n: I18nContext<Locale>, event: ClockEvent) -> &'static str {
    match event {
        ClockEvent::Receipt => t_string!(i18n, event.receipt),
        ClockEvent::RoutedReceipt => t_string!(i18n, event.routed_receipt),
        ClockEvent::Acceptance => t_string!(i18n, event.acceptance),
        ClockEvent::ReplyDelivered => t_string!(i18n, event.reply_delivered),
        ClockEvent::ReviewRequest => t_string!(i18n, event.review_request),
        ClockEvent::ReviewDelivered => t_string!(i18n, event.review_delivered),
        ClockEvent::ReReviewRequest => t_string!(i18n, event.re_review_request),
        ClockEvent::OriginalDeadline => t_string!(i18n, event.original_deadline),
    }
}
