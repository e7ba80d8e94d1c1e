use super::{Values, port_span};
use crate::finding::Level;
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

/// (port, what listens there). 22 is `ssh-port-exposed`'s.
const SENSITIVE: &[(u32, &str)] = &[
    (23, "Telnet"),
    (3389, "RDP"),
    (5900, "VNC"),
    (2375, "the Docker API without TLS"),
    (2376, "the Docker API"),
    (2379, "etcd"),
    (2380, "etcd peers"),
    (6443, "the Kubernetes API"),
    (10250, "the kubelet API"),
    (8500, "Consul"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2181, "ZooKeeper"),
    (3306, "MySQL"),
    (4222, "NATS"),
    (5432, "PostgreSQL"),
    (5672, "RabbitMQ"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (7000, "Cassandra"),
    (7001, "Cassandra"),
    (8086, "InfluxDB"),
    (9042, "Cassandra"),
    (9092, "Kafka"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch transport"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
    (5601, "Kibana"),
    (15672, "the RabbitMQ console"),
];

declare_rule! {
    /// ## What it does
    /// Flags a compose service that publishes, on a non-loopback address, a container port
    /// where a datastore, cluster API, admin console or remote-access service listens: 23,
    /// 3389, 5900; 2375 and 2376 (errors: the Docker API), 2379, 2380, 6443, 10250, 8500; 1433,
    /// 1521, 2181, 3306, 4222, 5432, 5672, 5984, 6379, 7000, 7001, 8086, 9042, 9092, 9200, 9300,
    /// 11211, 27017; 5601, 15672. Application ports (80, 443, 3000, 8080, …) are not on the list;
    /// port 22 is `ssh-port-exposed`'s. Long syntax is reported at `target:`.
    ///
    /// ## Why is this bad?
    /// Databases and brokers in compose setups usually run with development credentials or none.
    /// Published on every interface, they are reachable from the network — internet-wide scans
    /// find exposed Redis, MongoDB and Docker APIs within minutes (CIS Docker Benchmark 5.9).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    ///     ports: ["5432:5432"]
    /// ```
    ///
    /// ## Use instead
    /// Let the application reach it over the compose network, and publish to loopback only if
    /// you need it from the host:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    ///     ports: ["127.0.0.1:5432:5432"]
    /// ```
    pub static SENSITIVE_PORT_EXPOSED = {
        id: "sensitive-port-exposed",
        summary: "datastore, admin or remote-access port published",
        level: Warning,
        kinds: [Compose],
        tags: ["security", "network"],
        security_severity: Some("6.5"),
        check: Some(check),
    }
}

/// Whether `sensitive-port-exposed` reports this published port (TCP, beyond loopback, to a
/// port of the list): `port-exposed-all-interfaces` then leaves it alone, one port, one finding.
pub fn reported_here(port: &compose::Port) -> bool {
    !port.loopback()
        && port.protocol.eq_ignore_ascii_case("tcp")
        && SENSITIVE.iter().any(|(n, _)| port.targets(*n))
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Compose(root) = doc else { return };
    let values = Values::new(cx);
    let mut reports = Vec::new();
    for service in &compose::services(root) {
        for port in compose::ports(&service.node, &|n| values.text(n)) {
            if port.loopback() || !port.protocol.eq_ignore_ascii_case("tcp") {
                continue;
            }
            let hits: Vec<&(u32, &str)> =
                SENSITIVE.iter().filter(|(n, _)| port.targets(*n)).collect();
            if hits.is_empty() {
                continue;
            }
            let docker_api = hits.iter().any(|(n, _)| matches!(n, 2375 | 2376));
            let named: Vec<String> = hits
                .iter()
                .map(|(n, what)| format!("{n} ({what})"))
                .collect();
            let noun = if hits.len() == 1 { "port" } else { "ports" };
            reports.push((
                port_span(&port, port.target_node),
                format!(
                    "Service `{}` publishes {noun} {} beyond loopback",
                    service.name,
                    named.join(", ")
                ),
                docker_api,
            ));
        }
    }
    values.finish(cx);
    for (span, message, docker_api) in reports {
        let draft = cx.report(span, message);
        draft.help("do not publish it (services reach it over the compose network), or bind it to `127.0.0.1`");
        if docker_api {
            draft.level(Level::Error);
        }
    }
}
