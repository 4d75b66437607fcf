//! The user's progress in `botapp_usersettings`, as the bot's own code keeps it
//! (`../shared/bot/completion.md` §1, §3): a created request counts in
//! `total_generations` / `total_videos_generated` / `last_generation_at`; a finished
//! video earns `10 × quantity` experience points and raises `user_level` to
//! `experience_points / 100` when that is higher. Only rows the bot created are
//! touched (none: nothing, no error), and only where the table exists.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::db::AnyConnection;
use crate::db::types::{DateTimeField, UtcTime};

/// Points a finished video earns per result asked for (a level is 100 points).
pub const POINTS_PER_RESULT: i32 = 10;

/// Counts a created request of `videos` videos (inside a queue transaction;
/// callers check that `botapp_usersettings` exists).
pub fn count_request(
    conn: &mut AnyConnection,
    user_id: i64,
    videos: i32,
    now: UtcTime,
) -> QueryResult<()> {
    let kind = conn.kind();
    let [videos_param, now_param, user_param] = [1, 2, 3].map(|n| kind.placeholder(n));
    diesel::sql_query(format!(
        "UPDATE botapp_usersettings SET total_generations = total_generations + 1, \
         total_videos_generated = total_videos_generated + {videos_param}, \
         last_generation_at = {now_param}, updated_at = {now_param} \
         WHERE user_id = {user_param}"
    ))
    .bind::<Integer, _>(videos)
    .bind::<DateTimeField, _>(now)
    .bind::<BigInt, _>(user_id)
    .execute(conn)
    .map(drop)
}

/// Awards experience for finished videos (inside a queue transaction; callers
/// check that `botapp_usersettings` exists).
pub fn award(conn: &mut AnyConnection, user_id: i64, points: i32, now: UtcTime) -> QueryResult<()> {
    let kind = conn.kind();
    let [points_param, now_param, user_param] = [1, 2, 3].map(|n| kind.placeholder(n));
    // SET expressions read the row's old values: the new points are
    // experience_points + the award; the level only rises.
    let level = format!("(experience_points + {points_param}) / 100");
    diesel::sql_query(format!(
        "UPDATE botapp_usersettings SET experience_points = experience_points + {points_param}, \
         user_level = CASE WHEN user_level > {level} THEN user_level ELSE {level} END, \
         updated_at = {now_param} WHERE user_id = {user_param}"
    ))
    .bind::<Integer, _>(points)
    .bind::<DateTimeField, _>(now)
    .bind::<BigInt, _>(user_id)
    .execute(conn)
    .map(drop)
}
