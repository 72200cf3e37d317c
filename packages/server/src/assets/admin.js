// The admin portal's one script (served as /assets/admin.js; the portal's CSP allows only 'self'): copy buttons.
// Without it the page works the same, the buttons just stay hidden.
;(function () {
  'use strict'
  function copied(button, text) {
    button.textContent = text
    setTimeout(function () {
      button.textContent = 'Copy'
    }, 2000)
  }
  function select(node) {
    var range = document.createRange()
    range.selectNodeContents(node)
    var selection = window.getSelection()
    selection.removeAllRanges()
    selection.addRange(range)
  }
  function copy(button) {
    var target = document.getElementById(button.getAttribute('data-copy'))
    if (!target) return
    var text = target.textContent
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(button, 'Copied') },
        function () { select(target); copied(button, 'Press Ctrl+C') },
      )
    } else {
      select(target)
      var ok = false
      try { ok = document.execCommand('copy') } catch (e) { ok = false }
      copied(button, ok ? 'Copied' : 'Press Ctrl+C')
    }
  }
  var buttons = document.querySelectorAll('button[data-copy]')
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false
    buttons[i].addEventListener('click', function (event) { copy(event.currentTarget) })
  }
})()
