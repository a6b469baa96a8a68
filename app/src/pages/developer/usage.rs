//! The client page's "Usage" card (issue 13): people who allowed the app, tokens
//! per day over the last 30 days as a small bar chart (an SVG the server renders,
//! so it shows without JavaScript; each bar names its day and count, and the
//! numbers are one click away as a table), the last token, refused replays, and
//! the refused token requests by error code with what each usually means.

use leptos::prelude::*;

use super::CARD;
use crate::model::{UsageDayView, UsageView};

const WIDTH: u64 = 300;
const HEIGHT: u64 = 80;

/// A day's tokens and refused requests (replays are refused requests too; counted
/// apart, the durable audit log may hold a replay the minutely counts lost).
fn day_total(d: &UsageDayView) -> u64 {
    d.issued + d.refreshed + d.refused.max(d.failed)
}

fn bar_title(d: &UsageDayView) -> String {
    let mut t = format!("{}: {} token(s)", d.date, d.issued + d.refreshed);
    if d.refreshed > 0 {
        t.push_str(&format!(", {} by refresh", d.refreshed));
    }
    let refused = d.refused.max(d.failed);
    if refused > 0 {
        t.push_str(&format!(", {refused} request(s) refused"));
    }
    if d.refused > 0 {
        t.push_str(&format!(" ({} replay(s))", d.refused));
    }
    t
}

#[component]
pub fn Usage(usage: UsageView) -> impl IntoView {
    let days = usage.days.len().max(1) as u64;
    let slot = WIDTH / days;
    let top = usage.days.iter().map(day_total).max().unwrap_or(0).max(1);
    let scale = |n: u64| n * (HEIGHT - 4) / top;
    let empty = usage.issued == 0 && usage.refused == 0 && usage.failed == 0;
    let failed_class = if usage.failed > 0 {
        "text-xl font-semibold text-amber-800"
    } else {
        "text-xl font-semibold"
    };
    let refused_class = if usage.refused > 0 {
        "text-xl font-semibold text-red-700"
    } else {
        "text-xl font-semibold"
    };
    let first = usage
        .days
        .first()
        .map(|d| d.date.clone())
        .unwrap_or_default();
    let last = usage
        .days
        .last()
        .map(|d| d.date.clone())
        .unwrap_or_default();
    let summary = format!(
        "Tokens per day from {first} to {last}: {} in all, most in one day {}",
        usage.issued,
        usage.days.iter().map(day_total).max().unwrap_or(0)
    );
    let bars = usage
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = i as u64 * slot;
            let ok = scale(d.issued + d.refreshed);
            let bad = scale(d.refused);
            let failed = scale(d.failed.saturating_sub(d.refused));
            view! {
                <g data-testid="usage-bar" data-date=d.date.clone() data-count={(d.issued + d.refreshed).to_string()}>
                    <title>{bar_title(d)}</title>
                    // A hairline for every day, so an empty day still shows.
                    <rect x=x y={HEIGHT - 1} width={slot - 2} height=1 class="fill-slate-300"/>
                    <rect x=x y={HEIGHT - ok} width={slot - 2} height=ok class="fill-sky-600"/>
                    <rect x=x y={HEIGHT - ok - bad} width={slot - 2} height=bad class="fill-red-600"/>
                    <rect x=x y={HEIGHT - ok - bad - failed} width={slot - 2} height=failed class="fill-amber-500"/>
                </g>
            }
        })
        .collect_view();
    let rows = usage
        .days
        .iter()
        .rev()
        .filter(|d| day_total(d) > 0)
        .map(|d| {
            view! {
                <tr>
                    <td class="py-1 pr-4">{d.date.clone()}</td>
                    <td class="py-1 pr-4 text-right">{d.issued + d.refreshed}</td>
                    <td class="py-1 pr-4 text-right">{d.refreshed}</td>
                    <td class="py-1 pr-4 text-right">{d.refused.max(d.failed)}</td>
                    <td class="py-1 text-right">{d.refused}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class=format!("{CARD} mt-4") data-testid="usage">
            <h2 class="text-lg font-semibold">"Usage"</h2>
            <dl class="mt-2 grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-5">
                <div>
                    <dt class="text-slate-600">"People who allowed it"</dt>
                    <dd class="text-xl font-semibold" data-testid="usage-people">{usage.people}</dd>
                </div>
                <div>
                    <dt class="text-slate-600">"Tokens, last 30 days"</dt>
                    <dd class="text-xl font-semibold" data-testid="usage-issued">{usage.issued}</dd>
                </div>
                <div>
                    <dt class="text-slate-600">"Last token"</dt>
                    <dd class="font-medium" data-testid="usage-last">{usage.last_token.clone().unwrap_or_else(|| "none in 30 days".into())}</dd>
                </div>
                <div>
                    <dt class="text-slate-600">"Replays refused"</dt>
                    <dd class=refused_class data-testid="usage-refused">{usage.refused}</dd>
                </div>
                <div>
                    <dt class="text-slate-600">"Token requests refused"</dt>
                    <dd class=failed_class data-testid="usage-failed">{usage.failed.max(usage.refused)}</dd>
                </div>
            </dl>
            {(usage.refused > 0).then(|| view! {
                <p class="mt-2 text-sm text-red-800" role="note">
                    "An authorization code or refresh token was presented twice. Portcullis refused it and revoked what it had led to: "
                    "if your app did not retry on purpose, someone else may hold its codes or tokens."
                </p>
            })}
            {(!usage.failures.is_empty()).then(|| view! {
                <div class="mt-3 text-sm" data-testid="usage-failures">
                    <h3 class="font-medium">"Refused token requests, last 30 days"</h3>
                    <ul class="mt-1 space-y-1">
                        {usage.failures.iter().map(|f| view! {
                            <li data-testid="usage-failure" data-code=f.code.clone()>
                                <span class="font-semibold">{f.count}</span>" × "
                                <code class="rounded bg-slate-100 px-1">{f.code.clone()}</code>": "
                                <span class="text-slate-700">{f.meaning.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
            {if empty {
                view! {
                    <p class="mt-3 text-sm text-slate-600" data-testid="usage-empty">
                        "No tokens in the last 30 days. Once the app signs someone in or gets a token, its use shows here."
                    </p>
                }.into_any()
            } else {
                view! {
                    <figure class="mt-3">
                        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="h-24 w-full" preserveAspectRatio="none"
                            role="img" aria-label=summary data-testid="usage-chart">
                            {bars}
                        </svg>
                        <figcaption class="mt-1 flex justify-between text-xs text-slate-600">
                            <span>{first}</span><span>"Tokens per day (UTC)"</span><span>{last}</span>
                        </figcaption>
                    </figure>
                    <details class="mt-2 text-sm">
                        <summary class="cursor-pointer text-sky-700 underline">"Show the numbers"</summary>
                        <table class="mt-2" data-testid="usage-table">
                            <thead>
                                <tr class="text-left text-slate-600">
                                    <th scope="col" class="pr-4 font-medium">"Day"</th>
                                    <th scope="col" class="pr-4 text-right font-medium">"Tokens"</th>
                                    <th scope="col" class="pr-4 text-right font-medium">"Of which by refresh"</th>
                                    <th scope="col" class="pr-4 text-right font-medium">"Requests refused"</th>
                                    <th scope="col" class="text-right font-medium">"Of which replays"</th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </details>
                }.into_any()
            }}
        </section>
    }
}
