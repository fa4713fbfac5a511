//! The load loop: admits customers, batches their visits into assignment requests and their
//! events into event batches, keeps up to `concurrency` requests in flight (paced by `rate`) and
//! feeds every answer back into the journeys.

use super::client::{AssignItem, Assigned, Client};
use super::error::SimError;
use super::journey::{Customer, Outcome, SimEvent, Visit, World};
use super::pace::Pacer;
use super::progress::Reporter;
use super::stats::{Latencies, Summary};
use super::Options;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// A finished request.
enum Reply {
    Assigned { visits: Vec<(u64, Visit)>, result: Result<(Vec<Assigned>, Duration), SimError> },
    Events { result: Result<((u64, u64), Duration), SimError> },
}

/// The state of a run.
pub(super) struct Driver<'a> {
    world: World<'a>,
    client: Client,
    options: &'a Options,
    pacer: Arc<Pacer>,
    reporter: Reporter,
    customers: HashMap<u64, Customer>,
    next_slot: u64,
    next_arrival: u64,
    referred: VecDeque<(String, DateTime<Utc>)>,
    visits: VecDeque<(u64, Visit)>,
    events: Vec<SimEvent>,
    summary: Summary,
    assign_latency: Latencies,
    events_latency: Latencies,
    digest: u64,
    requests: u64,
    started: Instant,
}

impl<'a> Driver<'a> {
    /// A run of `world` against `client`.
    pub(super) fn new(world: World<'a>, client: Client, options: &'a Options, reporter: Reporter) -> Driver<'a> {
        let summary = Summary { seed: world.seed, ..Summary::default() };
        Driver {
            world,
            client,
            options,
            pacer: Arc::new(Pacer::new(options.rate)),
            reporter,
            customers: HashMap::new(),
            next_slot: 0,
            next_arrival: 0,
            referred: VecDeque::new(),
            visits: VecDeque::new(),
            events: Vec::new(),
            summary,
            assign_latency: Latencies::default(),
            events_latency: Latencies::default(),
            digest: 0,
            requests: 0,
            started: Instant::now(),
        }
    }

    /// Runs every journey to its end.
    pub(super) async fn run(mut self) -> Result<Summary, SimError> {
        let mut in_flight: FuturesUnordered<JoinHandle<Reply>> = FuturesUnordered::new();
        loop {
            self.admit();
            while in_flight.len() < self.options.concurrency.max(1) {
                match self.next_request() {
                    Some(task) => in_flight.push(task),
                    None => break,
                }
            }
            let Some(joined) = in_flight.next().await else { break };
            let handled = match joined {
                Ok(reply) => self.handle(reply),
                Err(e) => Err(SimError::Failed { what: "a request task", status: 0, message: e.to_string() }),
            };
            if let Err(e) = handled {
                in_flight.iter().for_each(JoinHandle::abort);
                self.reporter.finish();
                return Err(e);
            }
        }
        self.reporter.finish();
        Ok(self.summary())
    }

    /// Lets customers arrive until enough visits are queued to keep every request slot busy.
    fn admit(&mut self) {
        let wanted = self.options.batch.max(1) * self.options.concurrency.max(1) * 2;
        while self.visits.len() < wanted {
            let (mut customer, arrival) = if let Some((id, at)) = self.referred.pop_front() {
                self.summary.referred += 1;
                self.reporter.grow();
                (self.world.referred(id), at)
            } else if self.next_arrival < self.options.customers {
                self.next_arrival += 1;
                self.world.customer(self.next_arrival - 1, self.options.days)
            } else {
                return;
            };
            self.summary.customers += 1;
            let outcome = self.world.arrive(&mut customer, arrival);
            let slot = self.next_slot;
            self.next_slot += 1;
            self.customers.insert(slot, customer);
            self.absorb(slot, outcome);
        }
    }

    fn absorb(&mut self, slot: u64, outcome: Outcome) {
        self.events.extend(outcome.events);
        self.visits.extend(outcome.visits.into_iter().map(|v| (slot, v)));
        self.referred.extend(outcome.referred);
    }

    /// The next request to start, if there is work: full event batches first, then visits, then
    /// the remaining events.
    fn next_request(&mut self) -> Option<JoinHandle<Reply>> {
        let full_events = self.events.len() >= self.options.event_batch;
        if !full_events && !self.visits.is_empty() {
            let n = self.options.batch.max(1).min(self.visits.len());
            let visits: Vec<(u64, Visit)> = self.visits.drain(..n).collect();
            let items: Vec<AssignItem> = visits.iter().map(|(slot, v)| self.item(*slot, v)).collect();
            let (client, pacer) = (self.client.clone(), self.pacer.clone());
            return Some(tokio::spawn(async move {
                pacer.wait().await;
                Reply::Assigned { visits, result: client.assign(&items).await }
            }));
        }
        if self.events.is_empty() {
            return None;
        }
        let n = self.options.event_batch.max(1).min(self.events.len());
        let batch: Vec<SimEvent> = self.events.drain(..n).collect();
        self.summary.events_sent += batch.len() as u64;
        let (client, pacer) = (self.client.clone(), self.pacer.clone());
        Some(tokio::spawn(async move {
            pacer.wait().await;
            Reply::Events { result: client.send_events(&batch).await }
        }))
    }

    fn item(&self, slot: u64, visit: &Visit) -> AssignItem {
        let customer = &self.customers[&slot];
        AssignItem {
            customer_id: customer.id.clone(),
            stage: self.world.model.stages[visit.stage].clone(),
            attributes: customer.attributes.clone(),
            at: visit.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        }
    }

    fn handle(&mut self, reply: Reply) -> Result<(), SimError> {
        self.requests += 1;
        match reply {
            Reply::Events { result } => {
                let ((accepted, duplicates), latency) = result?;
                self.events_latency.record(latency);
                self.summary.events_accepted += accepted;
                self.summary.events_duplicates += duplicates;
            }
            Reply::Assigned { visits, result } => {
                let (answers, latency) = result?;
                self.assign_latency.record(latency);
                for ((slot, visit), assigned) in visits.into_iter().zip(answers) {
                    let Some(customer) = self.customers.get_mut(&slot) else { continue };
                    for (experiment, variant) in &assigned {
                        let key = format!("{}\u{1f}{experiment}\u{1f}{variant}", customer.id);
                        self.digest = self.digest.wrapping_add(xxhash_rust::xxh64::xxh64(key.as_bytes(), 0));
                    }
                    self.summary.visits += 1;
                    self.summary.assignments += assigned.len() as u64;
                    let outcome = self.world.answered(customer, visit, &assigned);
                    let finished = customer.finished();
                    self.absorb(slot, outcome);
                    if finished {
                        self.customers.remove(&slot);
                        let rate = self.requests as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
                        self.reporter.finished(self.summary.events_sent, rate);
                    }
                }
            }
        }
        Ok(())
    }

    fn summary(mut self) -> Summary {
        let elapsed = self.started.elapsed().as_secs_f64();
        self.summary.elapsed_seconds = elapsed;
        self.summary.requests_per_second = self.requests as f64 / elapsed.max(1e-3);
        self.summary.assign_latency_ms = self.assign_latency.percentiles();
        self.summary.events_latency_ms = self.events_latency.percentiles();
        self.summary.assignments_digest = format!("{:016x}", self.digest);
        self.summary
    }
}
