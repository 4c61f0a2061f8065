//! Outgoing mail over SMTP, or to the log when no SMTP server is configured
//! (so a fresh install can still activate accounts from the console).

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, Clone, Default)]
pub struct MailConfig {
    /// `host:port` of an SMTP server; `None` prints mail to the log.
    pub smtp: Option<String>,
    pub from: Option<String>,
}

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Log,
}

impl Mailer {
    pub fn new(c: &MailConfig) -> anyhow::Result<Mailer> {
        let Some(addr) = &c.smtp else {
            return Ok(Mailer::Log);
        };
        let (host, port) = addr
            .rsplit_once(':')
            .ok_or_else(|| anyhow::anyhow!("smtp must be host:port, got {addr}"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| anyhow::anyhow!("bad smtp port in {addr}"))?;
        // Plain SMTP: meant for a local relay; TLS relays sit behind it.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        let from = c
            .from
            .clone()
            .unwrap_or_else(|| "guildhall <noreply@guildhall.localhost>".into());
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("bad mail from address {from}: {e}"))?;
        Ok(Mailer::Smtp { transport, from })
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> anyhow::Result<()> {
        match self {
            Mailer::Log => {
                tracing::info!(to, subject, body, "mail (no SMTP configured)");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let msg = Message::builder()
                    .from(from.clone())
                    .to(to.parse()?)
                    .subject(subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_string())?;
                transport.send(msg).await?;
                Ok(())
            }
        }
    }
}
