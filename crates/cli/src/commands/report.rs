//! `connectauth report operator`: the platform operators' report across
//! tenants, through the same use case as `GET /manage/v1/reports/operator`
//! and the operators' daily mail, on the auth database.
use anyhow::anyhow;

use crate::args::{ReportArgs, ReportCommand};

pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let reports = crate::services::auth_manage()
        .await?
        .manage
        .operator_reports;
    match args.command {
        ReportCommand::Operator { date } => {
            let day = reports
                .day(date.as_deref())
                .map_err(|e| anyhow!("--date: {e}"))?;
            let report = reports.of_day(day).await?;
            let summary = reports.summary(day).await?;
            let names = |slugs: Vec<&str>| {
                if slugs.is_empty() {
                    "-".to_owned()
                } else {
                    slugs.join(", ")
                }
            };
            let t = &report.totals;
            println!(
                "Operators' report for {} (UTC), {} tenants",
                report.day,
                report.tenants.len()
            );
            println!(
                "Totals: logins {} ok / {} failed, {} incidents, {} blocks",
                t.logins_succeeded, t.logins_failed, t.incidents, t.blocks
            );
            println!(
                "Churn risks: {}",
                names(report.churn_risks().map(|t| t.slug.as_str()).collect())
            );
            println!(
                "Upgrade candidates: {}",
                names(
                    report
                        .upgrade_candidates()
                        .map(|t| t.slug.as_str())
                        .collect()
                )
            );
            if let Some(summary) = summary {
                println!("Summary (AI analyst, may be wrong): {summary}");
            }
            for line in &report.tenants {
                println!("- {}", line.text());
            }
        }
    }
    Ok(())
}
