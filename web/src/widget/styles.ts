// The widget's stylesheet, applied inside its shadow root only: the host page's CSS cannot reach in, and this cannot
// leak out. Colours come from custom properties set per bot (--pw-brand, --pw-on-brand).
export const WIDGET_CSS = `
*{box-sizing:border-box}
.root{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic","Noto Sans Hebrew",sans-serif;color:#1d2327;-webkit-font-smoothing:antialiased}
.launcher{position:fixed;bottom:20px;inset-inline-end:20px;display:flex;align-items:center;gap:8px;padding:12px 18px;border:0;border-radius:999px;background:var(--pw-brand);color:var(--pw-on-brand);font:inherit;font-weight:600;cursor:pointer;white-space:nowrap;box-shadow:0 6px 24px rgba(0,0,0,.2)}
.root[data-position=left] .launcher{inset-inline-end:auto;inset-inline-start:20px}
.launcher svg{width:22px;height:22px;fill:currentColor}
button:focus-visible,a:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.panel{position:fixed;bottom:88px;inset-inline-end:20px;width:380px;max-width:calc(100% - 40px);height:600px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.25);overflow:hidden}
.root[data-position=left] .panel{inset-inline-end:auto;inset-inline-start:20px}
[hidden]{display:none!important}
.head{display:flex;align-items:center;gap:10px;padding:14px 16px;background:var(--pw-brand);color:var(--pw-on-brand)}
.head img{width:32px;height:32px;border-radius:8px;object-fit:cover;background:#fff}
.head .titles{flex:1;min-width:0}
.head h2{margin:0;font-size:16px;font-weight:700;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.head p{margin:0;font-size:12px;opacity:.85}
.icon{display:inline-flex;align-items:center;justify-content:center;width:34px;height:34px;border:0;border-radius:8px;background:transparent;color:inherit;cursor:pointer;font:inherit}
.icon:hover{background:rgba(255,255,255,.18)}
.icon svg{width:18px;height:18px;fill:currentColor}
.log{flex:1;overflow-y:auto;overflow-x:hidden;padding:16px;display:flex;flex-direction:column;gap:12px;overscroll-behavior:contain}
.msg{display:flex;gap:8px;max-width:88%;min-width:0}.msg>div{min-width:0}
.msg.user{align-self:flex-end}
.msg .avatar{width:28px;height:28px;border-radius:50%;flex:none;object-fit:cover}
.bubble{padding:10px 14px;border-radius:14px;overflow-wrap:anywhere;min-width:0}
.user .bubble{background:var(--pw-brand);color:var(--pw-on-brand);border-end-end-radius:4px;white-space:pre-wrap}
.bot .bubble{background:#f0f3f4;border-end-start-radius:4px}
.notice .bubble{background:transparent;color:#50575e;font-size:13px;font-style:italic}
.agent .bubble{background:#e7f0ff}
.author{font-size:12px;font-weight:600;color:#50575e;margin-bottom:2px}
.bubble p{margin:0 0 8px}.bubble p:last-child{margin:0}
.bubble ul,.bubble ol{margin:4px 0;padding-inline-start:20px}
.bubble a{color:inherit;text-decoration:underline}
.bubble pre{white-space:pre-wrap;background:rgba(0,0,0,.06);padding:8px;border-radius:6px}
.bubble table{display:block;max-width:100%;overflow-x:auto;border-collapse:collapse;margin:6px 0;font-size:.95em}
.bubble th,.bubble td{border:1px solid rgba(0,0,0,.15);padding:3px 6px;text-align:start;vertical-align:top}
.bubble th{background:rgba(0,0,0,.05)}
.bubble h1,.bubble h2,.bubble h3,.bubble h4{font-size:1em;margin:6px 0}
.typing::after{content:"\\2026";animation:pw-blink 1s steps(2) infinite}
@keyframes pw-blink{50%{opacity:.2}}
.sources{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;align-items:center}
.sources span.label{font-size:12px;color:#5f6b73}
.chip{display:inline-block;max-width:100%;min-width:0;font-size:12px;padding:3px 10px;border:1px solid #cfd8dc;border-radius:999px;background:#fff;color:#1d2327;text-decoration:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
a.chip:hover{border-color:var(--pw-brand)}
.feedback{display:flex;gap:4px;margin-top:6px;align-items:center;font-size:12px;color:#5f6b73}
.feedback button{width:28px;height:28px;color:#5f6b73}
.feedback button:hover{background:#e3e8ea}
.feedback button[aria-pressed=true]{color:var(--pw-brand);background:#e3e8ea}
.flip svg{transform:rotate(180deg)}
.status{padding:6px 16px;font-size:13px;background:#fff4e5;color:#7a4a00}
.status:empty{display:none}
.error{color:#a12622}
.suggestions{display:flex;flex-wrap:wrap;gap:6px;padding:0 16px 10px}
.suggestions button{font:inherit;font-size:13px;padding:6px 12px;border-radius:999px;border:1px solid var(--pw-brand);background:#fff;color:#1d2327;cursor:pointer;text-align:start}
form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e3e8ea;align-items:flex-end}
textarea{flex:1;font:inherit;resize:none;min-height:42px;max-height:120px;padding:10px 12px;border:1px solid #cfd8dc;border-radius:10px;color:#1d2327;background:#fff}
.send{font:inherit;font-weight:600;padding:10px 16px;border:0;border-radius:10px;background:var(--pw-brand);color:var(--pw-on-brand);cursor:pointer}
.send:disabled{opacity:.55;cursor:default}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.preview .launcher,.preview .panel{position:absolute}.preview .panel{max-height:calc(100% - 104px)}
@media (max-width:480px){.root:not(.preview) .panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}.root:not(.preview) .launcher[aria-expanded=true]{display:none}}
@media (prefers-reduced-motion:reduce){.typing::after{animation:none}}
`;
