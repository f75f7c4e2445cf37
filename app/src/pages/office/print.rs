//! `/office/petitions/:id/print/:doc`: the documents the office sends or files on paper,
//! laid out for A4 and filled from the case: the notice of receipt (受理告知书), the
//! notice of decline (不予受理告知书), the assignment sheet (交办单) and the written
//! decision (处理意见书). Official documents are in Chinese whatever the screen language.
//!
//! Each is headed by the office's name, its number (信受〔2026〕12号, given when the step
//! was taken) and its addressee; its last paragraph, the seal line, the date and the
//! office's contacts form one block that a page break never splits (style/main.css).

use domain::document::{DocumentKind, Letterhead, PrintedDocument};
use domain::registry::Deadline;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::petition_document;
use crate::components::island::PrintButton;
use crate::components::status::{ErrorMessage, Loading};

#[component]
pub fn PrintPage() -> impl IntoView {
    let params = use_params_map();
    let id = crate::pages::id_param();
    let doc = move || params.with(|p| p.get("doc").unwrap_or_default());
    let printed = Resource::new(move || (id.get(), doc()), |(id, doc)| petition_document(id, doc));
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match printed.await {
                    Ok(printed) => document(printed).into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn due(deadlines: &[Deadline], step: domain::clock::ClockStep) -> Option<String> {
    deadlines.iter().find(|d| d.step == step).map(|d| date(d.due_on))
}

/// The body above the closing block, and the closing block's paragraph.
type Parts = (AnyView, AnyView);

fn document(p: PrintedDocument) -> impl IntoView + use<> {
    let title = p.kind.title();
    let d = &p.detail;
    let received = date(domain::registry::china_date(d.summary.received_at));
    let code = d.summary.tracking_code.clone();
    let subject = d.summary.subject.clone();
    // A notice speaks to the petitioner; one printed by a unit that may not know who
    // that is (a department) says only 信访人.
    let addressee = match (p.kind, p.addressee.clone()) {
        (DocumentKind::Assignment, to) => to,
        (_, to) => Some(to.unwrap_or_else(|| "信访人".to_owned())),
    };
    let (body, last): Parts = match p.kind {
        DocumentKind::ReceiptNotice => {
            let due = due(&d.deadlines, domain::clock::ClockStep::RegisterAndRoute)
                .map(|due| format!("（{due}前）"))
                .unwrap_or_default();
            (
                view! {
                    <p>"您于"{received}"提出的信访事项“"{subject}"”，本办已登记，查询码为 "{code}"。"</p>
                    <p>"本办将依照《信访工作条例》的规定，在收到之日起 15 日内"{due}"转送或交办有关单位办理，并书面告知您。"</p>
                }
                .into_any(),
                view! { <p>"您可以凭查询码和查询密码在本办网站的“查询进度”页面查询办理情况、评价处理结果。特此告知。"</p> }.into_any(),
            )
        }
        DocumentKind::DeclineNotice => {
            let reasons = d
                .timeline
                .iter()
                .rev()
                .find(|e| e.step == Some(domain::petition::Step::Decline))
                .and_then(|e| e.public_note.clone())
                .unwrap_or_default();
            (
                view! {
                    <p>"您于"{received}"提出的信访事项“"{subject}"”（查询码 "{code}"）收悉。"</p>
                    <p>"经审查，该事项不予受理，理由如下："</p>
                    <p class="text">{reasons}</p>
                }
                .into_any(),
                view! { <p>"特此告知。"</p> }.into_any(),
            )
        }
        DocumentKind::Assignment => (
            view! {
                <p>"现将下列信访事项交你单位办理。"</p>
                <table class="doc-table">
                    <tbody>
                        <tr><th scope="row">"查询码"</th><td>{code}</td></tr>
                        <tr><th scope="row">"事项"</th><td>{subject}</td></tr>
                        <tr><th scope="row">"所涉村(社区)"</th><td>{d.summary.village_name.clone().unwrap_or_default()}</td></tr>
                        <tr><th scope="row">"收到日期"</th><td>{received}</td></tr>
                        <tr><th scope="row">"主要内容"</th><td class="text">{d.content.clone()}</td></tr>
                    </tbody>
                </table>
            }
            .into_any(),
            view! { <p>"请依照《信访工作条例》第三十二条、第三十四条的规定，自受理之日起 60 日内办结，出具书面处理意见并报本办。"</p> }.into_any(),
        ),
        DocumentKind::Decision => decision(&p, subject, code),
    };
    view! {
        <Title text=title />
        <article class="document printable" lang="zh-CN">
            <header class="doc-head">
                <p class="doc-issuer">{p.office.name.clone()}</p>
                <h1>{title}</h1>
                {p.number.map(|n| view! { <p class="doc-number">{n.to_string()}</p> })}
            </header>
            {addressee.map(|to| view! { <p class="doc-addressee">{to}"："</p> })}
            {body}
            <div class="doc-closing">
                {last}
                <p class="signature">{p.office.name.clone()}"（盖章）"<br />{date(p.issued_on)}</p>
                <Contacts office=p.office.clone() />
            </div>
        </article>
        <p class="no-print"><PrintButton label="打印".to_owned() /></p>
    }
}

fn decision(p: &PrintedDocument, subject: String, code: String) -> Parts {
    let Some(x) = p.detail.decision.clone() else {
        return (view! { <p>"尚未出具处理意见。"</p> }.into_any(), ().into_any());
    };
    let outcome = match x.outcome {
        domain::petition::DecisionOutcome::Supported => "支持",
        domain::petition::DecisionOutcome::Explained => "解释说明",
        domain::petition::DecisionOutcome::NotSupported => "不支持",
    };
    (
        view! {
            <p>"您就“"{subject}"”（查询码 "{code}"）提出的信访事项，经调查核实，处理意见如下："</p>
            <h2>"一、信访请求"</h2><p class="text">{x.request}</p>
            <h2>"二、事实和理由"</h2><p class="text">{x.facts_reasons}</p>
            <h2>"三、处理意见"</h2><p class="text">{x.decision}</p>
            <h2>"四、依据"</h2><p class="text">{x.legal_basis}</p>
            <p>"处理结果："{outcome}"。"</p>
        }
        .into_any(),
        view! { <p>"如对本处理意见不服，可以自收到本意见书之日起 30 日内请求原办理机关的上一级机关复查（《信访工作条例》第三十五条）。"</p> }.into_any(),
    )
}

/// The office's address and phone, as far as it has published them: a line left out
/// rather than an empty label.
#[component]
fn Contacts(office: Letterhead) -> impl IntoView {
    let address =
        (!office.address.is_empty()).then(|| view! { <span>"地址："{office.address.clone()}</span> });
    let phone = (!office.phone.is_empty()).then(|| view! { <span>"电话："{office.phone.clone()}</span> });
    let any = address.is_some() || phone.is_some();
    any.then(|| view! { <p class="doc-contact">{address}{phone}</p> })
}
