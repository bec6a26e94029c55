//! A pooled PostgreSQL connection with the statements prepared on it. The client would otherwise
//! prepare every query again before running it: one more round trip each, and a push makes a dozen.
//! And the pools that hand them out in order of arrival.

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::thread::Thread;

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// Statements prepared on one connection, by their SQL.
#[derive(Default)]
pub(crate) struct Stmts(HashMap<String, Statement>);

impl Stmts {
    fn get(&mut self, c: &mut Client, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let s = c.prepare(sql)?;
        self.0.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

pub(crate) struct Conn {
    pub client: Client,
    stmts: Stmts,
}

/// A transaction on a pooled connection, using its prepared statements; rolled back if dropped
/// before `commit`.
pub(crate) struct Tx<'a> {
    tx: &'a mut Client,
    stmts: &'a mut Stmts,
    open: bool,
}

macro_rules! cached_queries {
    () => {
        pub fn query(&mut self, sql: &str, p: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
            let (c, stmts) = self.parts();
            let st = stmts.get(c, sql)?;
            c.query(&st, p)
        }

        pub fn query_opt(&mut self, sql: &str, p: Params<'_>) -> Result<Option<Row>, postgres::Error> {
            let (c, stmts) = self.parts();
            let st = stmts.get(c, sql)?;
            c.query_opt(&st, p)
        }

        pub fn query_one(&mut self, sql: &str, p: Params<'_>) -> Result<Row, postgres::Error> {
            let (c, stmts) = self.parts();
            let st = stmts.get(c, sql)?;
            c.query_one(&st, p)
        }

        pub fn execute(&mut self, sql: &str, p: Params<'_>) -> Result<u64, postgres::Error> {
            let (c, stmts) = self.parts();
            let st = stmts.get(c, sql)?;
            c.execute(&st, p)
        }
    };
}

impl Conn {
    pub fn new(client: Client) -> Self {
        Conn { client, stmts: Stmts::default() }
    }

    fn parts(&mut self) -> (&mut Client, &mut Stmts) {
        (&mut self.client, &mut self.stmts)
    }

    cached_queries!();

    pub fn tx(&mut self) -> Result<Tx<'_>, postgres::Error> {
        self.begin("BEGIN")
    }

    /// A read-only transaction on one snapshot (a pull page and the head it reports agree).
    pub fn snapshot(&mut self) -> Result<Tx<'_>, postgres::Error> {
        self.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    fn begin(&mut self, sql: &str) -> Result<Tx<'_>, postgres::Error> {
        let Conn { client, stmts } = self;
        if let Err(e) = client.batch_execute(sql) {
            let _ = client.batch_execute("ROLLBACK");
            return Err(e);
        }
        Ok(Tx { tx: client, stmts, open: true })
    }
}

impl Tx<'_> {
    fn parts(&mut self) -> (&mut Client, &mut Stmts) {
        (self.tx, self.stmts)
    }

    cached_queries!();

    pub fn commit(mut self) -> Result<(), postgres::Error> {
        self.open = false;
        self.tx.batch_execute("COMMIT")
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // An error or an early return: nothing of the transaction stays.
            let _ = self.tx.batch_execute("ROLLBACK");
        }
    }
}

/// Connections handed out first come, first served. A plain mutex per connection lets a request that
/// just arrived take a connection ahead of one that has waited, and under hundreds of pushes some
/// waited twice as long as the rest.
pub(crate) struct Pool<T = Conn> {
    conns: Vec<Mutex<T>>,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    free: Vec<usize>,
    waiting: VecDeque<(u64, Thread)>,
    granted: HashMap<u64, usize>,
    next: u64,
}

/// A connection taken from a `Pool`; back in the pool (to the longest waiter) when dropped.
pub(crate) struct Pooled<'a, T = Conn> {
    pool: &'a Pool<T>,
    idx: usize,
    guard: Option<MutexGuard<'a, T>>,
}

/// A panic while holding a connection cannot leave a transaction open: `Tx` rolls it back on drop.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T> Pool<T> {
    pub fn new(conns: Vec<T>) -> Pool<T> {
        let free = (0..conns.len()).rev().collect();
        Pool {
            conns: conns.into_iter().map(Mutex::new).collect(),
            queue: Mutex::new(Queue { free, ..Queue::default() }),
        }
    }

    pub fn get(&self) -> Pooled<'_, T> {
        let idx = {
            let mut q = lock(&self.queue);
            match q.free.pop().filter(|_| q.waiting.is_empty()) {
                Some(i) => Ok(i),
                None => {
                    let ticket = q.next;
                    q.next += 1;
                    q.waiting.push_back((ticket, std::thread::current()));
                    Err(ticket)
                }
            }
        };
        let idx = match idx {
            Ok(i) => i,
            Err(ticket) => loop {
                std::thread::park();
                if let Some(i) = lock(&self.queue).granted.remove(&ticket) {
                    break i;
                }
            },
        };
        Pooled { pool: self, idx, guard: Some(lock(&self.conns[idx])) }
    }

    fn release(&self, idx: usize) {
        let mut q = lock(&self.queue);
        match q.waiting.pop_front() {
            Some((ticket, thread)) => {
                q.granted.insert(ticket, idx);
                drop(q);
                thread.unpark();
            }
            None => q.free.push(idx),
        }
    }
}

impl<T> std::ops::Deref for Pooled<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_deref().expect("held until dropped")
    }
}

impl<T> std::ops::DerefMut for Pooled<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_deref_mut().expect("held until dropped")
    }
}

impl<T> Drop for Pooled<'_, T> {
    fn drop(&mut self) {
        self.guard = None;
        self.pool.release(self.idx);
    }
}

#[cfg(test)]
mod tests {
    use super::Pool;
    use std::sync::Mutex;
    use std::time::Duration;

    #[test]
    fn waiters_are_served_in_the_order_they_came() {
        let pool = Pool::new(vec![0u32]);
        let order = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            let held = pool.get();
            for i in 0..5 {
                let (pool, order) = (&pool, &order);
                s.spawn(move || {
                    let _c = pool.get();
                    order.lock().unwrap().push(i);
                });
                // Let each one queue up before the next arrives.
                while pool.queue.lock().unwrap().waiting.len() < i + 1 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            drop(held);
        });
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn many_threads_share_few_connections_without_losing_one() {
        let pool = Pool::new(vec![0u64, 0]);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..500 {
                        *pool.get() += 1;
                    }
                });
            }
        });
        let (a, b) = (pool.get(), pool.get());
        assert_eq!(*a + *b, 4000);
        assert!(pool.queue.lock().unwrap().waiting.is_empty());
    }
}
