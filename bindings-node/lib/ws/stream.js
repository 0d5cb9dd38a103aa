'use strict';
// createWebSocketStream(ws, options): a Duplex over a ws-shaped WebSocket, as ws's. Messages
// become readable chunks (reading stops the socket while the stream's buffer is full);
// written chunks become messages; end() closes the WebSocket.

const { Duplex } = require('stream');

/** Wraps `ws` in a Duplex stream; `options` are Duplex options. */
function createWebSocketStream(ws, options) {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', function message(msg, isBinary) {
    const data = !isBinary && duplex._readableState.objectMode ? msg.toString() : msg;
    if (!duplex.push(data)) ws.pause();
  });
  ws.once('error', function error(err) {
    if (duplex.destroyed) return;
    // Do not terminate: the error came from the connection itself.
    terminateOnDestroy = false;
    duplex.destroy(err);
  });
  ws.once('close', function close() {
    if (duplex.destroyed) return;
    duplex.push(null);
  });

  duplex._destroy = function (err, callback) {
    if (ws.readyState === ws.CLOSED) {
      callback(err);
      process.nextTick(() => duplex.emit('close'));
      return;
    }
    let called = false;
    ws.once('error', function error(e) {
      called = true;
      callback(e);
    });
    ws.once('close', function close() {
      if (!called) callback(err);
      process.nextTick(() => duplex.emit('close'));
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = function (callback) {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    if (ws._socket === null) return;
    if (ws._socket.writableFinished) {
      callback();
      if (duplex._readableState.endEmitted) duplex.destroy();
    } else {
      ws._socket.once('finish', function finish() {
        callback();
      });
      ws.close();
    }
  };

  duplex._read = function () {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = function (chunk, encoding, callback) {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, encoding, callback));
      return;
    }
    ws.send(chunk, callback);
  };

  duplex.on('end', function () {
    if (!duplex.destroyed && duplex._writableState.finished) duplex.destroy();
  });
  duplex.on('error', function () {
    if (ws.readyState !== ws.CLOSED) ws.terminate();
  });
  return duplex;
}

module.exports = { createWebSocketStream };
