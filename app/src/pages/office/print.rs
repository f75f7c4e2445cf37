//! `/office/petitions/:id/print/:doc`: the documents the office sends or files on paper,
//! laid out for A4 and filled from the case: the notice of receipt (受理告知书), the
//! notice of decline (不予受理告知书), the assignment sheet (交办单) and the written
//! decision (处理意见书). Official documents are in Chinese whatever the screen language.

use domain::registry::{Deadline, PetitionDetail};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::petition_case;
use crate::components::island::PrintButton;
use crate::components::status::{ErrorMessage, Loading};
use leptos_meta::Title;

#[component]
pub fn PrintPage() -> impl IntoView {
    let params = use_params_map();
    let id = crate::pages::id_param();
    let doc = move || params.with(|p| p.get("doc").unwrap_or_default());
    let case = Resource::new(move || id.get(), petition_case);
    view! {
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match case.await {
                    Ok(view) => document(&doc(), view.detail, view.today).into_any(),
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

fn due(deadlines: &[Deadline], step: domain::clock::ClockStep) -> String {
    deadlines
        .iter()
        .find(|d| d.step == step)
        .map(|d| date(d.due_on))
        .unwrap_or_default()
}

fn document(doc: &str, d: PetitionDetail, today: chrono::NaiveDate) -> impl IntoView + use<> {
    let received = date(domain::registry::china_date(d.summary.received_at));
    let code = d.summary.tracking_code.clone();
    let subject = d.summary.subject.clone();
    let (title, body): (&str, AnyView) = match doc {
        "decline_notice" => {
            let reasons = d
                .timeline
                .iter()
                .rev()
                .find(|e| e.step == Some(domain::petition::Step::Decline))
                .and_then(|e| e.public_note.clone())
                .unwrap_or_default();
            (
                "不予受理告知书",
                view! {
                    <p>"您于"{received.clone()}"提出的信访事项（查询码 "{code.clone()}"，“"{subject.clone()}"”）收悉。"</p>
                    <p>"经审查，该事项不予受理，理由如下："</p>
                    <p class="text">{reasons}</p>
                    <p>"特此告知。"</p>
                }
                .into_any(),
            )
        }
        "assignment" => (
            "交办单",
            view! {
                <table class="ledger">
                    <tbody>
                        <tr><th scope="row">"查询码"</th><td>{code.clone()}</td></tr>
                        <tr><th scope="row">"承办单位"</th><td>{d.summary.department_name.clone().unwrap_or_default()}</td></tr>
                        <tr><th scope="row">"事项"</th><td>{subject.clone()}</td></tr>
                        <tr><th scope="row">"所涉村(社区)"</th><td>{d.summary.village_name.clone().unwrap_or_default()}</td></tr>
                        <tr><th scope="row">"收到日期"</th><td>{received.clone()}</td></tr>
                        <tr><th scope="row">"主要内容"</th><td class="text">{d.content.clone()}</td></tr>
                        <tr><th scope="row">"办理要求"</th><td>"请依照《信访工作条例》第三十二条、第三十四条的规定，自受理之日起 60 日内办结，出具书面处理意见并报信访办。"</td></tr>
                    </tbody>
                </table>
            }
            .into_any(),
        ),
        "decision" => {
            let decision = d.decision.clone();
            (
                "信访事项处理意见书",
                match decision {
                    Some(x) => {
                        let outcome = match x.outcome {
                            domain::petition::DecisionOutcome::Supported => "支持",
                            domain::petition::DecisionOutcome::Explained => "解释说明",
                            domain::petition::DecisionOutcome::NotSupported => "不支持",
                        };
                        view! {
                            <p>"信访人就“"{subject.clone()}"”（查询码 "{code.clone()}"）提出的信访事项，处理意见如下："</p>
                            <h2>"一、信访请求"</h2><p class="text">{x.request}</p>
                            <h2>"二、事实和理由"</h2><p class="text">{x.facts_reasons}</p>
                            <h2>"三、处理意见"</h2><p class="text">{x.decision}</p>
                            <h2>"四、依据"</h2><p class="text">{x.legal_basis}</p>
                            <p>"处理结果："{outcome}</p>
                            <p>"如对本处理意见不服，可以自收到本意见书之日起 30 日内请求原办理机关的上一级机关复查（《信访工作条例》第三十五条）。"</p>
                        }
                        .into_any()
                    }
                    None => view! { <p>"尚未出具处理意见。"</p> }.into_any(),
                },
            )
        }
        _ => (
            "信访事项受理告知书",
            view! {
                <p>"您于"{received.clone()}"提出的信访事项（查询码 "{code.clone()}"，“"{subject.clone()}"”）已登记。"</p>
                <p>"我们将依照《信访工作条例》在收到之日起 15 日内（"{due(&d.deadlines, domain::clock::ClockStep::RegisterAndRoute)}"前）转送或交办有关单位办理，并书面告知您。"</p>
                <p>"您可以凭查询码和查询密码在“查询进度”页面查询办理情况、评价处理结果。"</p>
            }
            .into_any(),
        ),
    };
    view! {
        <Title text=title />
        <article class="document printable" lang="zh-CN">
            <h1>{title}</h1>
            <p class="doc-number">{code}</p>
            {body}
            <p class="signature">"镇信访办（盖章）"<br />{date(today)}</p>
        </article>
        <p class="no-print"><PrintButton label="打印".to_owned() /></p>
    }
}
