// Proof of work for the OTP forms when the SMS limits are near (idp/abuse/proof_of_work.py):
// find a nonce so that sha256(challenge + nonce) starts with `difficulty` zero bits, put
// it in the hidden field, and hold the form's submission until it is found.
(function () {
  "use strict";
  var fields = document.querySelectorAll("input.pow-nonce");
  if (!fields.length || !window.crypto || !window.crypto.subtle) { return; }
  var encoder = new TextEncoder();

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i += 1) {
      if (bytes[i] === 0) { bits += 8; continue; }
      for (var mask = 0x80; mask > 0 && (bytes[i] & mask) === 0; mask >>= 1) { bits += 1; }
      return bits;
    }
    return bits;
  }

  function solve(challenge, difficulty) {
    var nonce = 0;
    function batch() {
      var tries = [];
      for (var i = 0; i < 256; i += 1) {
        tries.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge + String(nonce + i))));
      }
      return Promise.all(tries).then(function (digests) {
        for (var j = 0; j < digests.length; j += 1) {
          if (zeroBits(new Uint8Array(digests[j])) >= difficulty) { return String(nonce + j); }
        }
        nonce += digests.length;
        return batch();
      });
    }
    return batch();
  }

  Array.prototype.forEach.call(fields, function (field) {
    var form = field.form;
    var challenge = form.querySelector("input[name=pow_challenge]").value;
    var difficulty = parseInt(field.getAttribute("data-difficulty") || "0", 10);
    var status = form.querySelector(".pow-status");
    var waiting = false;
    if (status) { status.hidden = false; }
    var done = solve(challenge, difficulty).then(function (nonce) {
      field.value = nonce;
      if (status) { status.hidden = true; }
      if (waiting) { form.submit(); }
    });
    form.addEventListener("submit", function (event) {
      if (!field.value) { event.preventDefault(); waiting = true; }
    });
    return done;
  });
})();
