'use strict';
// The browser-style listener API that ws's WebSocket also offers: addEventListener /
// removeEventListener and the onopen / onmessage / onclose / onerror attributes, over the
// EventEmitter events. Event objects carry the fields ws gives them.

const kListener = Symbol('wsengine.listener');
const kForOnProperty = Symbol('wsengine.forOnProperty');

function makeEvent(type, target, args) {
  switch (type) {
    case 'message': {
      const [data, isBinary] = args;
      return { type, target, data: isBinary ? data : data.toString() };
    }
    case 'close': {
      const [code, reason] = args;
      return { type, target, code, reason: reason.toString(), wasClean: target._closeClean === true || code !== 1006 };
    }
    case 'error': {
      const [error] = args;
      return { type, target, error, message: error && error.message };
    }
    default:
      return { type, target };
  }
}

function call(handler, thisArg, event) {
  if (typeof handler === 'object' && handler !== null && typeof handler.handleEvent === 'function') {
    handler.handleEvent.call(handler, event);
  } else {
    handler.call(thisArg, event);
  }
}

/** Adds addEventListener/removeEventListener and the on<type> attributes to `Class`. */
function addEventTargetApi(Class) {
  const proto = Class.prototype;
  proto.addEventListener = function addEventListener(type, handler, options = {}) {
    if (!['open', 'message', 'close', 'error'].includes(type)) return;
    for (const l of this.listeners(type)) {
      if (!options[kForOnProperty] && l[kListener] === handler && !l[kForOnProperty]) return;
    }
    const wrapper = function (...args) {
      call(handler, this, makeEvent(type, this, args));
    };
    wrapper[kListener] = handler;
    wrapper[kForOnProperty] = !!options[kForOnProperty];
    if (options.once) this.once(type, wrapper);
    else this.on(type, wrapper);
  };
  proto.removeEventListener = function removeEventListener(type, handler) {
    for (const l of this.listeners(type)) {
      if (l[kListener] === handler && !l[kForOnProperty]) {
        this.removeListener(type, l);
        break;
      }
    }
  };
  for (const type of ['open', 'message', 'close', 'error']) {
    Object.defineProperty(proto, 'on' + type, {
      enumerable: true,
      configurable: true,
      get() {
        for (const l of this.listeners(type)) if (l[kForOnProperty]) return l[kListener];
        return null;
      },
      set(handler) {
        for (const l of this.listeners(type)) {
          if (l[kForOnProperty]) {
            this.removeListener(type, l);
            break;
          }
        }
        if (typeof handler !== 'function') return;
        this.addEventListener(type, handler, { [kForOnProperty]: true });
      },
    });
  }
}

module.exports = { addEventTargetApi };
