// Counts down the OTP's validity and enables the resend button when the cooldown ends.
// The page works without this script: the server enforces both limits. The words come
// from the page, already in its language (data-wait-text, data-ready-text, data-countdown,
// data-expired: "{seconds}" and "{minutes}" stand for the numbers). The visible texts
// change every second; the polite live region #otp-announcer gets only the moments worth
// saying aloud (each whole minute left, expiry, resend available).
(function () {
  "use strict";
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }
  var announcer = document.getElementById("otp-announcer");
  var saidAt = 0;
  function announce(text) {
    if (!announcer || !text) { return; }
    // Two things due in the same second are said together, not one over the other.
    var now = Date.now();
    announcer.textContent = now - saidAt < 1000 ? announcer.textContent + " " + text : text;
    saidAt = now;
  }
  var resend = document.getElementById("resend");
  var wait = document.getElementById("resend-wait");
  if (resend) {
    var left = parseInt(resend.getAttribute("data-wait") || "0", 10);
    var waitText = resend.getAttribute("data-wait-text");
    if (left > 0) {
      resend.disabled = true;
      var timer = setInterval(function () {
        left -= 1;
        if (wait && waitText) { wait.textContent = left > 0 ? fill(waitText, { seconds: left }) : ""; }
        if (left <= 0) {
          resend.disabled = false;
          resend.removeAttribute("aria-describedby");
          announce(resend.getAttribute("data-ready-text"));
          clearInterval(timer);
        }
      }, 1000);
    }
  }
  var expiry = document.getElementById("otp-expiry");
  if (expiry) {
    var seconds = parseInt(expiry.getAttribute("data-seconds") || "0", 10);
    var countdown = expiry.getAttribute("data-countdown");
    var expired = expiry.getAttribute("data-expired");
    var span = expiry.querySelector(".countdown");
    var tick = setInterval(function () {
      seconds -= 1;
      if (seconds <= 0) {
        if (expired) { expiry.textContent = expired; }
        announce(expired);
        clearInterval(tick);
        return;
      }
      if (span && countdown) {
        span.textContent = fill(countdown, { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
        if (seconds % 60 === 0) { announce(expiry.textContent); }
      }
    }, 1000);
  }
})();
