//! The git side of a run: the partition and the cache before the pool, the write-back after it.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::discover::Discovery;
use crate::error::{exit, Error};
use crate::report::progress::Reporter;
use crate::report::summary::{ItemResult, Summary};
use crate::workflow::{prompts::Prompts, Outcome};
use crate::writeback::{self, cache::Cached, RunInfo};

use super::run::RunPlan;

/// What a run knows from git before its pool starts.
pub struct GitSide {
    pub info: RunInfo,
    /// Per item of the (partitioned) discovery: its cached verdict, if any.
    cached: Vec<Option<Cached>>,
}

impl GitSide {
    /// Keeps this run's shard of the items and looks their cache keys up (unless `--fresh`).
    pub fn before(plan: &RunPlan, found: &mut Discovery, prompts: &Prompts) -> Result<Self, Error> {
        // On every item found, before cached ones are taken out: all shards must number the
        // same list for `count:M/N`.
        if let Some(p) = plan.partition {
            p.retain(&mut found.items, |i| &i.id);
        }
        let info = RunInfo {
            model: writeback::model_label(&plan.config.provider),
            prompt_hash: prompts.hash.clone(),
        };
        let cached = if plan.fresh {
            vec![None; found.items.len()]
        } else {
            writeback::cache::lookup(&found.workdir, &found.items, &info, &plan.config.fail_on)?
        };
        Ok(GitSide { info, cached })
    }

    /// The state `--dry-run` shows for item `i`.
    pub fn state(&self, i: usize) -> &'static str {
        match self.cached.get(i) {
            Some(Some(_)) => "cached",
            _ => "pending",
        }
    }

    /// Refuses `--write commit` before any review runs when it could not commit afterwards.
    pub fn preflight(&self, plan: &RunPlan, found: &Discovery) -> Result<(), Error> {
        let paths: Vec<String> = found.items.iter().map(|i| i.path.clone()).collect();
        Ok(writeback::preflight(&found.workdir, &plan.write, &paths)?)
    }

    /// Takes the cached items out of `found`; returns their results and stored reviews.
    pub fn take_cached(
        &mut self,
        found: &mut Discovery,
    ) -> (Vec<ItemResult>, BTreeMap<String, String>) {
        let mut results = Vec::new();
        let mut reviews = BTreeMap::new();
        let items = std::mem::take(&mut found.items);
        for (item, cached) in items.into_iter().zip(std::mem::take(&mut self.cached)) {
            match cached {
                Some(c) => {
                    reviews.insert(c.result.id.clone(), c.review);
                    results.push(c.result);
                }
                None => found.items.push(item),
            }
        }
        (results, reviews)
    }

    /// Writes the finished items' results back (notes, commit) and gives the summary the
    /// review texts. A failed write-back turns a passing or gate-failing run into exit 3.
    /// Returns whether the results are safely written (so their checkpoints may go).
    pub fn after(
        &self,
        plan: &RunPlan,
        found: &Discovery,
        summary: &mut Summary,
        mut reviews: BTreeMap<String, String>,
        outcomes: &[Outcome],
        reporter: &Reporter,
    ) -> bool {
        for o in outcomes {
            if let Some(text) = &o.review {
                reviews.insert(o.result.id.clone(), text.clone());
            }
        }
        summary.reviews = reviews;
        let written = writeback::apply(
            &found.workdir,
            &plan.write,
            &self.info,
            outcomes,
            SystemTime::now(),
        );
        match written {
            Ok(w) => {
                for m in w.messages() {
                    reporter.log("PARWF", &m);
                }
                true
            }
            Err(e) => {
                reporter.print(&format!("error: {e}"));
                if let Some(h) = e.hint() {
                    reporter.print(&format!("  hint: {h}"));
                }
                if summary.exit_code == exit::OK || summary.exit_code == exit::GATE_FAILED {
                    summary.exit_code = exit::WORKFLOW_ERROR;
                }
                false
            }
        }
    }
}

/// Puts cached results back among the reviewed ones, in discovery order (workflow, path).
pub fn merge_results(results: &mut Vec<ItemResult>, cached: Vec<ItemResult>) {
    results.extend(cached);
    results.sort_by(|a, b| {
        let key = |r: &ItemResult| {
            (
                crate::discover::WorkflowKind::parse(&r.workflow),
                r.path.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}
