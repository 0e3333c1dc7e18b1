// Runs a Zabbix webhook media type script under Node.js, with what Zabbix's JavaScript engine gives it:
// the `value` parameter (the media type's parameters as JSON), HttpRequest, hmac(), Zabbix.log.
//
//   node zabbix_shim.js <script file>      (stdin: the parameters as JSON)
//
// HTTP requests really are sent (one child Node process each, since the script expects a synchronous
// answer). Prints JSON: {"result", "error", "requests": [{method, url, headers, body, status, answer}], "log"}.
'use strict';

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');

const requests = [];
const log = [];

// Sends one request and prints its status and body; run in a child so the caller can wait for it.
const SEND = `
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
    const request = JSON.parse(input);
    try {
        const response = await fetch(request.url, {
            method: request.method, headers: request.headers, body: Buffer.from(request.body, 'utf8'),
        });
        process.stdout.write(JSON.stringify({ status: response.status, answer: await response.text() }));
    } catch (error) {
        process.stdout.write(JSON.stringify({ error: String(error) }));
    }
});`;

function HttpRequest() {
    this.headers = {};
    this.status = 0;
}

// Zabbix takes one 'Name: value' string per header.
HttpRequest.prototype.addHeader = function (line) {
    const at = String(line).indexOf(':');
    if (at < 1) {
        throw new Error('addHeader expects "Name: value", got ' + line);
    }
    this.headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
};

HttpRequest.prototype.clearHeader = function () {
    this.headers = {};
};

HttpRequest.prototype.setProxy = function (proxy) {
    this.proxy = proxy;
};

HttpRequest.prototype.getStatus = function () {
    return this.status;
};

HttpRequest.prototype.customRequest = function (method, url, data) {
    const sent = { method: method, url: url, headers: Object.assign({}, this.headers), body: data || '' };
    const child = childProcess.spawnSync(process.execPath, ['-e', SEND], {
        input: JSON.stringify(sent), encoding: 'utf8', timeout: 60000,
    });
    const outcome = JSON.parse(child.stdout || '{"error": "no answer"}');
    if (outcome.error) {
        throw new Error('cannot send request: ' + outcome.error);  // Zabbix throws on transport errors too
    }
    this.status = outcome.status;
    requests.push(Object.assign(sent, outcome));
    return outcome.answer;
};

HttpRequest.prototype.post = function (url, data) {
    return this.customRequest('POST', url, data);
};

// Zabbix: hmac('md5' | 'sha256', key, data) is the lowercase hex HMAC of the UTF-8 bytes.
function hmac(type, key, data) {
    if (type !== 'md5' && type !== 'sha256') {
        throw new TypeError('unsupported hash function');
    }
    return crypto.createHmac(type, Buffer.from(String(key), 'utf8'))
        .update(Buffer.from(String(data), 'utf8')).digest('hex');
}

const Zabbix = {
    log: function (level, message) {
        log.push([level, String(message)]);
    },
};

const script = fs.readFileSync(process.argv[2], 'utf8');
const value = fs.readFileSync(0, 'utf8');
// Zabbix wraps the script as the body of function (value) { … }, in sloppy mode like Duktape's default.
const run = new Function('value', 'HttpRequest', 'hmac', 'Zabbix', script);
const outcome = { result: null, error: null, requests: requests, log: log };
try {
    outcome.result = run(value, HttpRequest, hmac, Zabbix);
} catch (error) {
    outcome.error = String(error);
}
process.stdout.write(JSON.stringify(outcome));
