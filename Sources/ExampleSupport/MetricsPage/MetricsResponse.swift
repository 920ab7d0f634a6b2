/// The HTTP/1.1 response of the metrics endpoint to one request, as bytes to write. Every
/// response carries `Content-Length` and `Connection: close`.
struct MetricsResponse {
    /// The status line, headers and body.
    let bytes: [UInt8]

    /// The answer to `request` (nil: a malformed head, 400).
    init(for request: HTTPRequestHead?, metrics: any PrometheusPage) {
        guard let request else {
            self = .status(400, "Bad Request")
            return
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            self = .status(405, "Method Not Allowed", extraHeaders: "Allow: GET, HEAD\r\n")
            return
        }
        guard request.path == "/metrics" else {
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
