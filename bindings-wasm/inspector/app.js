// The frame inspector: parses the pasted or dropped capture, hands it to the engine's
// Inspector (web build of wsengine-wasm) and renders the report. All protocol work is the
// engine's; this file only reads input and draws.
import init from '../web.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
let api = null;
let fileBytes = null;

// ---- input ----

/** Hex ("81 85 37fa…", "0x81,0x85", hexdump-ish) or base64 text to bytes. */
export function parseCapture(text, format = 'auto') {
  const compact = text.replace(/0x/gi, '').replace(/[\s,:;]+/g, '');
  const isHex = /^[0-9a-f]*$/i.test(compact) && compact.length % 2 === 0;
  if (format === 'hex' || (format === 'auto' && isHex)) {
    if (!isHex) throw new Error('not valid hex: use pairs of 0-9 a-f');
    const out = new Uint8Array(compact.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(compact.substr(i * 2, 2), 16);
    return out;
  }
  const b64 = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new Error('neither hex nor base64');
  const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const latin1 = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const hexOf = (u8, sep = ' ') => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join(sep);

/** A server → client capture: 101 with permessage-deflate, RFC 7692 §7.2.3 messages, a
 *  ping, a fragmented text, a binary frame, then a text frame that is not UTF-8. */
export function exampleCapture() {
  return concat(
    latin1(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n'
    ),
    [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
    [0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00],
    [0x89, 0x02, 0x68, 0x69],
    [0x01, 0x03, 0x48, 0x65, 0x6c],
    [0x80, 0x02, 0x6c, 0x6f],
    [0x82, 0x04, 0xde, 0xad, 0xbe, 0xef],
    [0x81, 0x02, 0xc3, 0x28]
  );
}

// ---- rendering ----

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const spaced = (hex) => hex.replace(/(..)(?!$)/g, '$1 ');

function describeEvent(ev) {
  switch (ev.type) {
    case 'text':
    case 'binary':
    case 'chunk':
    case 'ping':
    case 'pong': {
      const kind = ev.type === 'chunk' ? `${ev.kind}${ev.first ? ' first' : ''}${ev.last ? ' last' : ''}` : '';
      const shown = ev.text !== undefined && ev.text !== null ? JSON.stringify(ev.text) : spaced(ev.hex);
      return [ev.type === 'chunk' ? 'message data' : ev.type, `${kind ? kind + ', ' : ''}${ev.length} bytes: ${shown}${ev.truncated ? ' …' : ''}`];
    }
    case 'closeReceived':
      return ['close received', `code ${ev.code}${ev.reason ? ` "${ev.reason}"` : ''}`];
    case 'failed':
      return ['protocol error', `${ev.error.kind}: ${ev.error.message} — close code ${ev.error.closeCode}`];
    case 'closed':
      return ['closed', `code ${ev.code}${ev.reason ? ` "${ev.reason}"` : ''}, ${ev.wasClean ? 'clean' : 'not clean'}${ev.sentCode ? `, we sent ${ev.sentCode}` : ''}`];
    default:
      return [ev.type, ev.debug || ''];
  }
}

function eventsNode(events, frameRsv1) {
  const box = el('div', { class: 'events-list' });
  for (const ev of events) {
    const [title, detail] = describeEvent(ev);
    const inflated = ev.type === 'chunk' && frameRsv1 ? ' (inflated)' : '';
    const node = el('span', { class: `event ${ev.type}`, 'data-type': ev.type }, el('span', { class: 't', text: title + inflated }), detail);
    if (ev.type === 'failed') node.setAttribute('data-close-code', String(ev.error.closeCode));
    box.append(node);
  }
  return box;
}

function render(items, target) {
  target.replaceChildren();
  let table = null;
  let tbody = null;
  let frames = 0;
  let errors = 0;
  let messageCompressed = false;
  let messageText = false;
  const ensureTable = () => {
    if (table) return;
    table = el('table', { id: 'frames' });
    table.append(
      el('thead', {}, el('tr', {}, ...['#', 'offset', 'FIN', 'RSV 1 2 3', 'opcode', 'mask key', 'length', 'payload (text)', 'payload (hex, unmasked)'].map((h) => el('th', { text: h }))))
    );
    tbody = el('tbody');
    table.append(tbody);
    target.append(table);
  };
  for (const it of items) {
    if (it.item === 'handshake') {
      const card = el('div', { class: 'card handshake', id: 'handshake-card' });
      card.append(el('h2', { text: `Opening handshake (${it.kind || 'HTTP'}, ${it.length ?? '?'} bytes)` }));
      if (it.startLine) card.append(el('div', { class: 'mono', text: it.startLine }));
      if (it.headers) {
        const dl = el('dl', { class: 'headers' });
        for (const h of it.headers) dl.append(el('dt', { text: h.name }), el('dd', { text: h.value }));
        card.append(dl);
      }
      if (it.extensions) card.append(el('p', { class: 'muted', text: `Frames decoded with extensions: ${it.extensions}` }));
      if (it.error) {
        errors++;
        card.append(el('div', { class: 'error', text: `Handshake error${it.status ? ` (HTTP ${it.status})` : ''}: ${it.error}` }));
      }
      target.append(card);
    } else if (it.item === 'frame') {
      ensureTable();
      frames++;
      if (it.opcode === 1 || it.opcode === 2) {
        messageCompressed = it.rsv1;
        messageText = it.opcode === 1;
      }
      const dataFrame = it.opcode < 8;
      const bits = el('span', { class: 'bits' }, ...[it.rsv1, it.rsv2, it.rsv3].map((b) => el('span', { class: b ? 'on' : '', text: b ? '1' : '0' })));
      const compressedFrame = dataFrame && messageCompressed;
      const text = compressedFrame
        ? el('span', { class: 'muted', text: '(compressed: see below)' })
        : it.payloadText === null
          ? el('span', { class: 'muted', text: dataFrame && !messageText ? '(binary)' : '(not UTF-8)' })
          : it.payloadText;
      const row = el(
        'tr',
        { class: 'frame', 'data-opcode': it.opcodeName },
        el('td', { class: 'num', text: String(frames) }),
        el('td', { class: 'num', text: String(it.offset) }),
        el('td', { text: it.fin ? '1' : '0' }),
        el('td', {}, bits),
        el('td', {}, el('span', { class: `op op-${it.opcodeName}`, text: `${it.opcodeName} (0x${it.opcode.toString(16)})` })),
        el('td', { class: 'mono', text: it.mask ? spaced(it.mask) : '—' }),
        el('td', { class: 'num', text: String(it.length) }),
        el('td', { class: 'text' }, text),
        el('td', { class: 'hex', text: spaced(it.payloadHex) + (it.truncated ? ' …' : '') })
      );
      tbody.append(row);
      if (it.events.length) {
        tbody.append(el('tr', { class: 'events' }, el('td', {}), el('td', { colspan: '8' }, eventsNode(it.events, compressedFrame))));
      }
      errors += it.events.filter((e) => e.type === 'failed').length;
    } else if (it.item === 'frameError') {
      errors++;
      target.append(
        el('div', { class: 'error', 'data-close-code': String(it.error.closeCode) },
          el('strong', { text: `Invalid frame header at offset ${it.offset}: ` }),
          `${it.error.kind}: ${it.error.message} — close code `, el('span', { class: 'code', text: String(it.error.closeCode) }))
      );
      if (it.events.length) target.append(eventsNode(it.events, false));
    } else if (it.item === 'trailing') {
      target.append(el('div', { class: 'card trailing' }, el('h2', { text: `${it.length} bytes left over at offset ${it.offset}${it.inHandshake ? ' (incomplete handshake)' : ' (incomplete frame)'}` }), el('div', { class: 'mono', text: spaced(it.hex) })));
      if (it.events.length) target.append(eventsNode(it.events, false));
      errors += it.events.filter((e) => e.type === 'failed').length;
    } else if (it.item === 'end' || it.item === 'events') {
      if (it.events.length) {
        const card = el('div', { class: 'card end' }, el('h2', { text: it.item === 'end' ? 'End of capture' : 'Events' }), eventsNode(it.events, false));
        target.append(card);
        errors += it.events.filter((e) => e.type === 'failed').length;
      }
    }
  }
  const summary = el('p', { class: 'summary', id: 'summary', text: `${frames} frame${frames === 1 ? '' : 's'}, ${errors} protocol error${errors === 1 ? '' : 's'}` });
  target.prepend(summary);
}

// ---- wiring ----

function currentBytes() {
  if (fileBytes) return fileBytes;
  return parseCapture($('data').value, $('format').value);
}

export function decode() {
  status.className = '';
  let bytes;
  try {
    bytes = currentBytes();
  } catch (e) {
    status.className = 'error';
    status.textContent = e.message;
    return null;
  }
  let inspector;
  try {
    inspector = new api.Inspector({
      direction: $('direction').value,
      handshake: $('handshake').checked,
      extensions: $('extensions').value.trim() || undefined,
      maxMessageSize: 64 << 20,
      maxFrameSize: 64 << 20,
    });
  } catch (e) {
    status.className = 'error';
    status.textContent = `${e.kind || 'error'}: ${e.message}`;
    return null;
  }
  const items = [...inspector.feed(bytes), ...inspector.finish()];
  inspector.free();
  render(items, $('report'));
  status.textContent = `${bytes.length} bytes decoded${fileBytes ? ` from ${fileBytes.name}` : ''}.`;
  return items;
}

function useFile(file) {
  file.arrayBuffer().then((buf) => {
    fileBytes = new Uint8Array(buf);
    fileBytes.name = file.name;
    $('data').value = '';
    $('data').placeholder = `${file.name}: ${fileBytes.length} bytes (type or paste to replace)`;
    decode();
  });
}

async function main() {
  api = await init();
  $('decode').addEventListener('click', decode);
  $('example').addEventListener('click', () => {
    fileBytes = null;
    $('data').value = hexOf(exampleCapture());
    $('direction').value = 'server';
    $('handshake').checked = true;
    $('extensions').value = '';
    decode();
  });
  $('data').addEventListener('input', () => {
    fileBytes = null;
  });
  $('file').addEventListener('change', (e) => e.target.files[0] && useFile(e.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) useFile(e.dataTransfer.files[0]);
  });
  status.textContent = `Engine loaded (permessage-deflate ${api.deflateSupported ? 'available' : 'not compiled in'}).`;
  document.body.dataset.ready = '1';
}

main().catch((e) => {
  status.className = 'error';
  status.textContent = `Could not load the engine: ${e.message}`;
});
