//! The screen sweep's checks of one open page: sideways scroll, tables
//! cut off, thumb-sized targets, aligned filters, buttons inside their
//! cards, words unbroken on a phone, the current tab in sight, and axe-core's
//! findings; the key list's rows and its destructive dialogs.

use crate::browser::*;
use fantoccini::{Client, Locator};

pub fn axe_source() -> String {
    let path = std::env::var("AXE_JS")
        .unwrap_or_else(|_| format!("{}/target/axe/package/axe.min.js", env!("CARGO_MANIFEST_DIR")));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core not found at {path} ({e}); scripts/test fetches it with `npm pack axe-core`")
    })
}

/// Problems with the page now open: sideways scroll, a table cut off, and axe's moderate or worse findings.
pub async fn check_page(client: &Client, axe: &str, label: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let widths = client
        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
        .await
        .expect("widths");
    let (scroll, inner) = (widths[0].as_u64().unwrap_or(0), widths[1].as_u64().unwrap_or(0));
    if scroll > inner {
        // Name the outermost elements that stick out, to say what to fix.
        let culprits = client
            .execute(
                "const w = window.innerWidth; const out = [];
                 for (const el of document.querySelectorAll('body *')) {
                   const r = el.getBoundingClientRect();
                   if (r.right > w + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)) {
                     out.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right));
                   }
                 }
                 return out.slice(0, 4).join(', ');",
                vec![],
            )
            .await
            .expect("culprits");
        problems.push(format!(
            "{label}: page scrolls sideways ({scroll} px in a {inner} px window): {}",
            culprits.as_str().unwrap_or_default()
        ));
    }
    // Every table's last column (its actions, as a rule) is in the window on each row.
    let cut = client
        .execute(
            "const w = window.innerWidth; const out = [];
             for (const row of document.querySelectorAll('main table tbody tr')) {
               const cell = row.lastElementChild;
               if (!cell || row.offsetParent === null) continue;
               const r = cell.getBoundingClientRect();
               const wrap = row.closest('.table-wrap');
               const edge = Math.min(w, wrap ? wrap.getBoundingClientRect().right : w);
               if (r.width === 0 || r.right > edge + 1) out.push((row.closest('table').dataset.testid || 'a table') + ' ' + Math.round(r.right));
             }
             return out.slice(0, 3);",
            vec![],
        )
        .await
        .expect("last columns");
    for c in cut.as_array().into_iter().flatten() {
        problems.push(format!("{label}: a table's last column is off screen: {}", c.as_str().unwrap_or_default()));
    }
    // Thumb-sized boxes and radios; the current settings tab in sight on the scrolling nav row.
    let small = client
        .execute(
            "const out = [];
             for (const box of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
               const r = box.getBoundingClientRect();
               if (box.offsetParent !== null && (r.width < 20 || r.height < 20)) out.push((box.id || box.name) + ' ' + Math.round(r.width));
             }
             for (const form of document.querySelectorAll('.filters')) {
               const input = form.querySelector('input, select'), button = form.querySelector(':scope > button');
               if (!input || !button) continue;
               const [a, b] = [input.getBoundingClientRect(), button.getBoundingClientRect()];
               // Side by side (not wrapped to a row of its own): the button's foot on the inputs' line.
               if (Math.abs(a.top - b.top) < 60 && Math.abs(a.bottom - b.bottom) > 4) out.push('a filter button off the line of its inputs by ' + Math.round(a.bottom - b.bottom) + ' px');
             }
             for (const button of document.querySelectorAll('main .panel .button')) {
               const panel = button.closest('.panel').getBoundingClientRect(), r = button.getBoundingClientRect();
               if (button.offsetParent !== null && r.width > 0 && r.right > panel.right + 1) out.push('a button runs past its card: ' + button.textContent.trim());
             }
             // On a phone, times, addresses and codes in tables wrap between words, never inside one.
             if (window.innerWidth < 500) {
               for (const el of document.querySelectorAll('main td time, main td .mono, main td code')) {
                 const text = el.firstChild;
                 if (el.offsetParent === null || !text || text.nodeType !== 3) continue;
                 let offset = 0;
                 for (const word of text.textContent.split(/(\\s+)/)) {
                   if (word.trim() && word.length < 40) {
                     const range = document.createRange();
                     range.setStart(text, offset);
                     range.setEnd(text, offset + word.length);
                     const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                     if (lines.size > 1) out.push('a word broken across lines: ' + word);
                   }
                   offset += word.length;
                 }
               }
             }
             const tab = document.querySelector('.sidenav a[aria-current=page]');
             if (tab && tab.offsetParent !== null) {
               const t = tab.getBoundingClientRect(), nav = tab.closest('.sidenav').getBoundingClientRect();
               if (t.left < nav.left - 1 || t.right > nav.right + 1) out.push('the current tab is scrolled out of sight');
             }
             return out.slice(0, 3);",
            vec![],
        )
        .await
        .expect("targets");
    for s in small.as_array().into_iter().flatten() {
        problems.push(format!("{label}: {}", s.as_str().unwrap_or_default()));
    }
    client.execute(axe, vec![]).await.expect("inject axe");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
               .filter(v => v.impact === 'moderate' || v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))));",
            vec![],
        )
        .await
        .expect("run axe");
    for v in found.as_array().into_iter().flatten() {
        problems.push(format!("{label}: axe {}", v.as_str().unwrap_or_default()));
    }
    problems
}

/// On the key list, every row's state badge and ⋯ menu are inside the window.
pub async fn key_rows_keep_state_and_menu_on_screen(client: &Client, label: &str) -> Vec<String> {
    let off = client
        .execute(
            "const w = window.innerWidth; const off = [];
             for (const row of document.querySelectorAll('tr[data-testid=key-row]')) {
               for (const sel of ['[data-testid=key-state]', '[data-testid=key-menu] summary']) {
                 const el = row.querySelector(sel);
                 if (el && (el.getBoundingClientRect().right > w || el.getBoundingClientRect().width === 0)) off.push(row.dataset.keyId + ' ' + sel);
               }
             }
             return off;",
            vec![],
        )
        .await
        .expect("rows");
    off.as_array()
        .into_iter()
        .flatten()
        .map(|o| format!("{label}: off screen: {}", o.as_str().unwrap_or_default()))
        .collect()
}

/// The key list's destructive dialogs (Revoke, Delete) open with focus on
/// Cancel or a field to fill, never on the destructive button.
pub async fn dialogs_open_away_from_danger(client: &Client, label: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for action in ["revoke", "delete"] {
        let item = format!("[data-testid=key-action-{action}]");
        let row = format!("tr[data-testid=key-row]:has({item})");
        if client.find(Locator::Css(&row)).await.is_err() {
            problems.push(format!("{label}: no key offers {action}, so its dialog went unchecked"));
            continue;
        }
        click(client, &format!("{row} [data-testid=key-menu] summary")).await;
        click(client, &format!("{row} {item}")).await;
        css(client, &format!("#action-dialog[open] [data-testid=confirm-{action}]")).await;
        let focused = client
            .execute(
                "const a = document.activeElement;
                 return [!!a.closest('#action-dialog'), a.matches('.button-danger, [data-testid=confirm-button]')];",
                vec![],
            )
            .await
            .expect("focus");
        if focused != serde_json::json!([true, false]) {
            problems
                .push(format!("{label}: the {action} dialog opens with focus on {focused} (in dialog, destructive)"));
        }
        press_escape(client, 1).await;
    }
    problems
}
