// The console's only script: dialogs, the filters of a list, the 新建
// dialog's choices, and live updates. Every page works without it; with
// it, dialogs are modal, filters apply at once, and a page follows the
// topology's changes as they happen. It inserts nothing but the server's
// own (escaped) pages.
'use strict';

(function () {
  // A dialog the server rendered open becomes modal; Escape or Cancel
  // goes where it says.
  for (const d of document.querySelectorAll('dialog[data-modal]')) {
    d.close();
    d.showModal();
    d.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      location.assign(d.dataset.close);
    });
  }

  // A filter applies as soon as it is chosen.
  document.addEventListener('change', (ev) => {
    const form = ev.target.form;
    if (form && form.hasAttribute('data-autosubmit')) {
      form.submit();
    }
  });

  // A region select offers only its region's VPCs in the select it names.
  function filterByRegion(regionSelect) {
    const target = document.getElementById(regionSelect.dataset.filters);
    if (!target) {
      return;
    }
    let firstShown = null;
    for (const o of target.options) {
      o.hidden = o.dataset.region !== regionSelect.value;
      if (!o.hidden && firstShown === null) {
        firstShown = o;
      }
    }
    const chosen = target.selectedOptions[0];
    if ((!chosen || chosen.hidden) && firstShown) {
      target.value = firstShown.value;
    }
  }
  for (const s of document.querySelectorAll('select[data-filters]')) {
    filterByRegion(s);
    s.addEventListener('change', () => filterByRegion(s));
  }

  // Live updates: fetch the page again when the journal moves past what
  // it shows (server-sent events), and every data-poll milliseconds.
  const live = document.getElementById('live');
  const state = document.getElementById('live-state');
  if (!live || !live.dataset.url) {
    return;
  }
  let busy = false;
  let again = false;
  let timer = 0;
  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const resp = await fetch(live.dataset.url, { credentials: 'same-origin', cache: 'no-store' });
      const doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
      const fresh = doc.getElementById('live');
      if (fresh) {
        live.dataset.seq = fresh.dataset.seq;
        // Only what changed is replaced: a page the same as before stays
        // as it is, with whatever is being clicked or typed.
        if (fresh.innerHTML !== live.innerHTML) {
          live.replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
        }
      }
    } catch (e) {
      // The next event or poll tries again.
    } finally {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  }
  const events = new EventSource('/events?after=' + encodeURIComponent(live.dataset.seq || '0'));
  events.addEventListener('change', (ev) => {
    if (Number(ev.data) > Number(live.dataset.seq || 0)) {
      soon();
    }
  });
  events.addEventListener('open', () => state && state.classList.add('on'));
  events.addEventListener('error', () => state && state.classList.remove('on'));
  const poll = Number(live.dataset.poll || 0);
  if (poll > 0) {
    setInterval(refresh, poll);
  }
})();
