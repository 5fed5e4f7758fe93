//! `numdialer webhooks`: an endpoint added (its secret shown once),
//! listed, rotated, its deliveries listed and removed; refusals exit 1
//! naming the field.

use crate::run::{Server, id_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_added_listed_rotated_and_removed() {
    let s = Server::start().await;
    let url = "https://crm.example.com/hook";
    let out = s
        .ok(&[
            "webhooks",
            "add",
            url,
            "--events",
            "call.completed,campaign.done",
            "--description",
            "CRM",
        ])
        .await;
    assert!(
        out.contains(&format!(" {url} campaign.done,call.completed \"CRM\"\n"))
            && out.contains("secret: whsec_"),
        "{out}"
    );
    let json = s.ok(&["webhooks", "list", "--json"]).await;
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let id = listed["endpoints"][0]["id"].as_u64().unwrap();
    assert!(listed["endpoints"][0].get("secret").is_none(), "{listed}");
    let line = s.ok(&["webhooks", "list"]).await;
    assert!(line.starts_with(&format!("{id} {url} ")), "{line}");

    let rotated = s
        .ok(&["webhooks", "rotate", &id.to_string(), "--json"])
        .await;
    assert_eq!(id_of(&rotated), id);
    assert!(rotated.contains("\"previous_secret_until\""), "{rotated}");
    let out = s
        .ok(&["webhooks", "deliveries", &id.to_string(), "--failed"])
        .await;
    assert_eq!(out, "none\n");
    let out = s.run(&["webhooks", "replay", &id.to_string(), "99"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no delivery 99"), "{out:?}");

    let out = s
        .run(&["webhooks", "add", url, "--events", "call.begun"])
        .await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("events: unknown event type"), "{out:?}");

    let out = s.ok(&["webhooks", "remove", &id.to_string()]).await;
    assert_eq!(out, format!("webhook endpoint {id} removed\n"));
    assert_eq!(s.ok(&["webhooks", "list"]).await, "no webhook endpoints\n");
    let out = s.run(&["webhooks", "remove", &id.to_string()]).await;
    assert_eq!(out.code, 1, "{out:?}");
    s.stop().await;
}
