/* The forms app's shared page state and drawing helpers (app.js and the other forms_static scripts use them).
   state: who is signed in, their participants and communes, the language; each script reads it through
   TP_PAGE.state so a change made by one is seen by all. */
"use strict";
window.TP_PAGE = (() => {
  const T = window.TP_TEXTS;
  const main = document.getElementById("main");
  // the language: the person's choice, in a cookie the dashboard reads and sets too (?lang=), else the one
  // kept on the phone
  const cookieLang = (document.cookie.match(/(?:^|;\s*)tienphong_lang=(vi|en)(?:;|$)/) || [])[1];
  const S = {lang: cookieLang || (localStorage.getItem("tp.lang") === "en" ? "en" : "vi"), me: null, people: [],
    communes: [], signedOut: false};
  function chooseLanguage(lang) {
    S.lang = lang;
    localStorage.setItem("tp.lang", lang);
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `tienphong_lang=${lang}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }

  const t = (key, params) => {
    const pair = T[key];
    let text = pair ? pair[S.lang === "en" ? 1 : 0] : key;
    for (const [name, value] of Object.entries(params || {})) text = text.replace(`{${name}}`, value);
    return text;
  };
  // as shared/text.py's fold_text: case, tone and vowel marks ignored, đ as d, punctuation as a space
  const fold = (s) => String(s || "").toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ");
  const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const announce = (text) => { document.getElementById("announce").textContent = text; };

  function show(title, ...children) {
    const heading = el("h2", {tabindex: "-1"}, title);
    main.replaceChildren(heading, ...children.flat().filter((c) => c !== null && c !== undefined));
    heading.focus();
  }

  // an async page draws only if the person is still on it (a sync's redraw of the home page must never
  // replace a form opened meanwhile)
  const stillOn = (hash) => (location.hash || "#/") === hash;

  return {state: S, t, fold, today, el, announce, show, stillOn, chooseLanguage};
})();
