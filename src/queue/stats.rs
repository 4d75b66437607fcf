//! A model's statistics in `botapp_aimodel`, as the bot's own code keeps them
//! (`../shared/bot/completion.md`): `total_generations` counts requests when they
//! are created (never at completion), each finished video moves
//! `average_generation_time` by the bot's formula, each failure adds one to
//! `total_errors`. Every change is made in SQL under the row's lock, never
//! written back from a copy read earlier (the bot's lost updates are not kept).
//! Call every function here inside a queue transaction.

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::schema::botapp_aimodel as model;

/// The bot's running mean after `seconds`, one video at a time in that order:
/// `(avg · (n − 1) + t) / n`, `n` = the stored `total_generations` (at least 1:
/// the bot divides by zero there, genworker takes the time itself).
pub fn running_average(average: f64, total_generations: i32, seconds: &[f64]) -> f64 {
    let n = f64::from(total_generations.max(1));
    seconds
        .iter()
        .fold(average, |average, time| (average * (n - 1.0) + time) / n)
}

/// One more request created.
pub fn count_created(conn: &mut AnyConnection, model_id: i64) -> QueryResult<()> {
    diesel::update(model::table.find(model_id))
        .set(model::total_generations.eq(model::total_generations + 1))
        .execute(conn)
        .map(drop)
}

/// Videos of one model finished in this order, `seconds` each.
pub fn add_times(conn: &mut AnyConnection, model_id: i64, seconds: &[f64]) -> QueryResult<()> {
    if seconds.is_empty() {
        return Ok(());
    }
    // Touching the row locks it (PostgreSQL) before its values are read;
    // SQLite's write lock is held already.
    let current = diesel::update(model::table.find(model_id))
        .set(model::average_generation_time.eq(model::average_generation_time))
        .returning((model::total_generations, model::average_generation_time))
        .get_result::<(i32, f64)>(conn)
        .optional()?;
    let Some((total, average)) = current else {
        return Ok(());
    };
    diesel::update(model::table.find(model_id))
        .set(model::average_generation_time.eq(running_average(average, total, seconds)))
        .execute(conn)
        .map(drop)
}

/// One more failed request.
pub fn count_error(conn: &mut AnyConnection, model_id: i64) -> QueryResult<()> {
    diesel::update(model::table.find(model_id))
        .set(model::total_errors.eq(model::total_errors + 1))
        .execute(conn)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bots_measured_averages() {
        // completion.md §3: avg 0.003449 with n = 2, then t = 0.223445.
        let after = running_average(0.003449, 2, &[0.223445]);
        assert!((after - 0.113447).abs() < 1e-9, "{after}");
        // The first video of a model: n = 1 gives the time itself.
        assert_eq!(running_average(0.0, 1, &[4.5]), 4.5);
        assert_eq!(running_average(0.0, 0, &[4.5]), 4.5);
    }

    #[test]
    fn a_batch_equals_the_same_updates_one_at_a_time() {
        let times = [1.5, 0.25, 7.0, 3.125];
        let one_by_one = times
            .iter()
            .fold(2.0, |average, t| running_average(average, 3, &[*t]));
        assert_eq!(running_average(2.0, 3, &times), one_by_one);
    }
}
