// Similar questions while a title is typed: a progressive enhancement of
// the ask page (without JavaScript, the "check" button does the same).
(function () {
  var title = document.querySelector('input[data-similar]');
  var box = document.getElementById('similar');
  if (!title || !box) return;
  var timer = null, last = '';
  function show(items) {
    var list = box.querySelector('ul');
    list.textContent = '';
    items.forEach(function (q) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = '/questions/' + q.id;
      a.textContent = q.title;
      var meta = document.createElement('span');
      meta.className = 'muted';
      meta.textContent = ' ' + q.answers + ' ' + (q.answers === 1 ? box.dataset.answer : box.dataset.answers) +
        (q.accepted ? ' · ' + box.dataset.accepted : '');
      li.appendChild(a);
      li.appendChild(meta);
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }
  function look() {
    var t = title.value.trim();
    if (t === last) return;
    last = t;
    if (t.length < 3) { show([]); return; }
    fetch(title.dataset.similar + '?title=' + encodeURIComponent(t), { headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) { if (title.value.trim() === t) show(items); })
      .catch(function () {});
  }
  title.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(look, 250);
  });
})();
