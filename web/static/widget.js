(function () {
  "use strict";
  // fit asks the portal to size the frame to the page, once the B24 library is there.
  function fit() {
    if (window.BX24 && typeof window.BX24.fitWindow === "function") {
      window.BX24.fitWindow();
    }
  }
  // Each preview says whether it loaded (data-loaded, data-natural-width); a broken one is
  // replaced by the note that tells what to do.
  function mark(img, ok) {
    img.setAttribute("data-loaded", ok ? "yes" : "no");
    img.setAttribute("data-natural-width", String(img.naturalWidth));
    if (!ok) {
      img.hidden = true;
      var note = img.parentNode.parentNode.querySelector("[data-broken]");
      if (note) { note.hidden = false; }
    }
    fit();
  }
  var imgs = document.querySelectorAll("img[data-preview]");
  Array.prototype.forEach.call(imgs, function (img) {
    if (img.complete) { mark(img, img.naturalWidth > 0); return; }
    img.addEventListener("load", function () { mark(img, img.naturalWidth > 0); });
    img.addEventListener("error", function () { mark(img, false); });
  });
  // The B24 library is loaded only inside the portal's frame; the page works without it.
  if (window.top !== window.self) {
    var s = document.createElement("script");
    s.src = "https://api.bitrix24.com/api/v1/";
    s.async = true;
    s.onload = function () { if (window.BX24) { window.BX24.init(fit); } };
    document.head.appendChild(s);
  }
})();
