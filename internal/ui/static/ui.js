// hookgate web UI: keeps the feed and an event's deliveries live without a
// reload. Served as a file so the Content-Security-Policy can forbid inline
// script. It builds rows with DOM calls and textContent only.
(function () {
  'use strict';

  var poll = parseInt(document.body.getAttribute('data-poll'), 10) || 2000;

  function get(url) {
    return fetch(url, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'X-Hookgate-UI': '1' }
    }).then(function (res) {
      if (res.status === 401) {
        window.location.assign('/ui/login');
        throw new Error('signed out');
      }
      if (!res.ok) {
        throw new Error('HTTP ' + res.status);
      }
      return res;
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function setStatus(ok) {
    var s = document.getElementById('live-status');
    if (!s) { return; }
    s.textContent = ok ? 'live' : 'reconnecting…';
    s.className = ok ? 'live ok' : 'live stale';
  }

  // The feed: rows rebuilt from /ui/feed.json.
  var rows = document.getElementById('feed-rows');
  var seen = {};
  if (rows) {
    Array.prototype.forEach.call(rows.querySelectorAll('tr[data-id]'), function (tr) {
      seen[tr.getAttribute('data-id')] = true;
    });
  }

  function feedRow(it) {
    var tr = el('tr', it.kind);
    tr.setAttribute('data-id', it.id);
    if (!seen[it.id]) { tr.className += ' fresh'; seen[it.id] = true; }
    tr.appendChild(el('td', 'at', it.at));
    var v = el('td');
    v.appendChild(el('span', 'badge ' + it.kind, it.kind === 'event' ? 'accepted' : 'rejected ' + it.status));
    tr.appendChild(v);
    tr.appendChild(el('td', null, it.source));
    var what = el('td');
    if (it.kind === 'event') {
      var a = el('a', 'mono', it.id);
      a.href = '/ui/events/' + encodeURIComponent(it.id);
      what.appendChild(a);
      if (it.type) { what.appendChild(el('span', 'type', it.type)); }
      what.appendChild(el('span', 'muted', ' ' + it.method + ' · ' + it.size));
    } else {
      what.appendChild(el('span', 'reason', it.reason));
      if (it.remote) { what.appendChild(el('span', 'muted', ' from ' + it.remote)); }
    }
    tr.appendChild(what);
    var st = el('td');
    (it.states || []).forEach(function (s) {
      st.appendChild(el('span', 'state ' + s.state, s.n + ' ' + s.state));
    });
    tr.appendChild(st);
    return tr;
  }

  function refreshFeed() {
    get(rows.getAttribute('data-src')).then(function (res) {
      return res.json();
    }).then(function (data) {
      var body = document.createDocumentFragment();
      (data.items || []).forEach(function (it) { body.appendChild(feedRow(it)); });
      if (!data.items || data.items.length === 0) {
        var tr = el('tr', 'empty');
        var td = el('td', null, 'Nothing yet: events and refused requests show up here as they arrive.');
        td.colSpan = 5;
        tr.appendChild(td);
        body.appendChild(tr);
      }
      rows.replaceChildren(body);
      rows.setAttribute('data-updated', data.now);
      setStatus(true);
    }).catch(function () { setStatus(false); });
  }

  // An event's deliveries: a server-rendered fragment swapped in when it
  // changes.
  var live = document.querySelector('[data-live]');
  var last = null;
  function refreshFragment() {
    get(live.getAttribute('data-live')).then(function (res) {
      return res.text();
    }).then(function (html) {
      if (html !== last) {
        last = html;
        // Keep open what the reader opened.
        var open = {};
        Array.prototype.forEach.call(live.querySelectorAll('details[data-key]'), function (d) {
          open[d.getAttribute('data-key')] = d.open;
        });
        live.innerHTML = html;
        Array.prototype.forEach.call(live.querySelectorAll('details[data-key]'), function (d) {
          var k = d.getAttribute('data-key');
          if (k in open) { d.open = open[k]; }
        });
      }
      setStatus(true);
    }).catch(function () { setStatus(false); });
  }

  if (rows) { window.setInterval(refreshFeed, poll); }
  if (live) { window.setInterval(refreshFragment, poll); }
}());
