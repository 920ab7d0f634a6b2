/// The HTTP/1.1 response of the metrics endpoint to one request, as bytes to write. Every
/// response carries `Content-Length` and `Connection: close`.
struct MetricsResponse {
    /// The status line, headers and body.
    let bytes: [UInt8]

    /// The answer to `request` (nil: a malformed head, 400): `/metrics`, `/healthz` (200 while
    /// the process serves), `/readyz` (200, or 503 with `readiness`'s reason; 200 without a
    /// check), 404 for any other path.
    init(for request: HTTPRequestHead?, metrics: any PrometheusPage, readiness: (any ReadinessCheck)? = nil) {
        guard let request else {
            self = .status(400, "Bad Request")
            return
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            self = .status(405, "Method Not Allowed", extraHeaders: "Allow: GET, HEAD\r\n")
            return
        }
        switch request.path {
        case "/metrics": break
        case "/healthz":
            self.init(code: 200, reason: "OK", contentType: "text/plain; charset=utf-8", body: Array("ok\n".utf8),
                      sendBody: request.method == "GET")
            return
        case "/readyz":
            let reason = readiness?.notReadyReason()
            self.init(code: reason == nil ? 200 : 503, reason: reason == nil ? "OK" : "Service Unavailable",
                      contentType: "text/plain; charset=utf-8", body: Array("\(reason ?? "ready")\n".utf8),
                      sendBody: request.method == "GET")
            return
        default:
            self = .status(404, "Not Found")
            return
        }
        let body = Array(metrics.render().utf8)
        self.init(code: 200, reason: "OK", contentType: "text/plain; version=0.0.4; charset=utf-8",
                  body: body, sendBody: request.method == "GET")
    }

    /// A short plain-text response for an error status.
    static func status(_ code: Int, _ reason: String, extraHeaders: String = "") -> MetricsResponse {
        MetricsResponse(code: code, reason: reason, contentType: "text/plain; charset=utf-8",
                        body: Array("\(code) \(reason)\n".utf8), extraHeaders: extraHeaders)
    }

    private init(code: Int, reason: String, contentType: String, body: [UInt8], sendBody: Bool = true, extraHeaders: String = "") {
        let head = "HTTP/1.1 \(code) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            + extraHeaders + "Connection: close\r\n\r\n"
        bytes = Array(head.utf8) + (sendBody ? body : [])
    }
}
