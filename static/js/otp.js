// Counts down the OTP's validity and enables "Gửi lại OTP" when the cooldown ends.
// The page works without this script: the server enforces both limits.
(function () {
  "use strict";
  var resend = document.getElementById("resend");
  var wait = document.getElementById("resend-wait");
  if (resend) {
    var left = parseInt(resend.getAttribute("data-wait") || "0", 10);
    if (left > 0) {
      resend.disabled = true;
      var timer = setInterval(function () {
        left -= 1;
        if (wait) { wait.textContent = left > 0 ? "(sau " + left + " giây)" : ""; }
        if (left <= 0) { resend.disabled = false; clearInterval(timer); }
      }, 1000);
    }
  }
  var expiry = document.getElementById("otp-expiry");
  if (expiry) {
    var seconds = parseInt(expiry.getAttribute("data-seconds") || "0", 10);
    var span = expiry.querySelector(".countdown");
    var tick = setInterval(function () {
      seconds -= 1;
      if (seconds <= 0) { expiry.textContent = "Mã OTP đã hết hạn. Vui lòng nhấn “Gửi lại OTP”."; clearInterval(tick); return; }
      span.textContent = Math.floor(seconds / 60) + " phút " + (seconds % 60) + " giây";
    }, 1000);
  }
})();
