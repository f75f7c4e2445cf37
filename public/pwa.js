// Registers the service worker and offers an update when a new build is waiting.
// Plain JavaScript, loaded with `defer`: it works before (and without) the wasm.
"use strict";
(function () {
  if (!("serviceWorker" in navigator)) return;
  var waiting = null;
  var personAsked = false;

  function offer(worker) {
    waiting = worker;
    var banner = document.getElementById("update-banner");
    if (banner) banner.hidden = false;
  }

  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then(function (registration) {
      if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
      registration.addEventListener("updatefound", function () {
        var worker = registration.installing;
        if (!worker) return;
        worker.addEventListener("statechange", function () {
          // "installed" with a controller present means an older build is still running.
          if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
        });
      });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") registration.update().catch(function () {});
      });
    })
    .catch(function (error) {
      console.warn("service worker not registered:", error);
    });

  // The field pages an officer needs without signal, kept as soon as one of them is open.
  var FIELD_PAGES = ["/field", "/field/report", "/field/weekly", "/field/outbox", "/field/villages"];

  navigator.serviceWorker.ready.then(function (registration) {
    document.documentElement.dataset.sw = "ready";
    if (location.pathname.indexOf("/field") === 0 && registration.active) {
      registration.active.postMessage({ type: "KEEP_PAGES", urls: FIELD_PAGES });
    }
  });

  // Reload once the new worker has taken over, but only when the person asked for it
  // (the first install also changes the controller, and must not reload the page).
  navigator.serviceWorker.addEventListener("controllerchange", function () {
    if (personAsked) window.location.reload();
  });

  // Delegated, so it works whether or not the page has hydrated yet.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("#update-reload");
    if (!button || !waiting) return;
    personAsked = true;
    waiting.postMessage({ type: "SKIP_WAITING" });
  });
})();

// The top bar's menu is a <details>: it opens without the wasm. Here it also closes as
// people expect a menu to, on a tap elsewhere or Escape; and the area's navigation,
// which scrolls sideways on a phone, shows the current page.
(function () {
  function closeMenus(except) {
    document.querySelectorAll("details.bar-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target && event.target.closest && event.target.closest("details.bar-menu");
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.bar-menu[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
  function showCurrent() {
    var nav = document.querySelector(".area-nav");
    var current = nav && nav.querySelector("[aria-current=page]");
    if (!current) return;
    var right = current.getBoundingClientRect().right - nav.getBoundingClientRect().left;
    if (right > nav.clientWidth) nav.scrollLeft += right - nav.clientWidth + 24;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showCurrent);
  else showCurrent();
})();
