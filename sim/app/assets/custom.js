// Loaded by every page of `calais-sim app` (Solara serves it as /static/assets/custom.js).
//
// solara.Markdown renders maths with window.renderMathInElement when it exists; otherwise it
// fetches KaTeX's auto-render script and stylesheet from the CDN, which the app has no copy
// of and, offline, cannot reach. Solara's page already bundles KaTeX (solara.KatexTypesetter,
// its stylesheet in main8.css): give renderMathInElement that renderer, so nothing is fetched.
(function () {
  if (window.renderMathInElement || !window.solara || !window.solara.KatexTypesetter) return;
  var typesetter = new window.solara.KatexTypesetter();
  window.renderMathInElement = function (element) { typesetter.typeset(element); };
})();

// The controls' sliders keep the keyboard's focus. An arrow key moves a slider and applies the
// value at once; the page then draws the sidebar again, and the browser drops the focus (to
// the page's body) although the slider is still there. Give it back to that slider, unless the
// user has clicked somewhere since.
(function () {
  var last = null;
  var until = 0;
  function where(el) {
    var control = el.closest(".calais-control");
    var group = el.closest(".calais-group");
    return control && [group ? group.className : "", control.className];
  }
  function find(path) {
    var groups = document.querySelectorAll(".calais-group");
    for (var i = 0; i < groups.length; i++) {
      if (groups[i].className !== path[0]) continue;
      var controls = groups[i].querySelectorAll(".calais-control");
      for (var j = 0; j < controls.length; j++) {
        if (controls[j].className === path[1]) return controls[j].querySelector("[role=slider]");
      }
    }
    return null;
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && target.getAttribute && target.getAttribute("role") === "slider") {
      last = where(target);
      until = Date.now() + 10000;
    }
  }, true);
  document.addEventListener("pointerdown", function () { last = null; }, true);
  // Every control has a name a screen reader can say: a slider is named by its label, the
  // menu button by what it does.
  function label() {
    document.querySelectorAll(".calais-control [role=slider]:not([aria-label])").forEach(function (el) {
      var text = el.closest(".calais-control").querySelector(".calais-label");
      if (text) el.setAttribute("aria-label", text.innerText.trim());
    });
    document.querySelectorAll(".v-app-bar__nav-icon:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "Show or hide the controls");
    });
  }
  new MutationObserver(function () {
    label();
    if (!last || Date.now() > until) return;
    var active = document.activeElement;
    if (active && active !== document.body) return;
    var slider = find(last);
    if (slider) slider.focus({ preventScroll: true });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
