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
