//! The user's progress in `botapp_usersettings`, as the bot's own code keeps it
//! (`../shared/bot/completion.md` §1, §3): a created request counts in
//! `total_generations` / `total_videos_generated` / `last_generation_at`; a finished
//! video earns `10 × quantity` experience points and raises `user_level` to
//! `experience_points / 100` when that is higher. Only rows the bot created are
//! touched (none: nothing, no error), and only where the table exists.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel::{PgConnection, SqliteConnection};

use crate::db::types::{DateTimeField, UtcTime};

/// Points a finished video earns per result asked for (a level is 100 points).
pub const POINTS_PER_RESULT: i32 = 10;

/// Progress writes on a connection (inside a queue transaction; callers check
/// that `botapp_usersettings` exists).
pub trait ProgressOps {
    /// A created request of `videos` videos.
    fn count_request(&mut self, user_id: i64, videos: i32, now: UtcTime) -> QueryResult<()>;

    /// Experience for finished videos.
    fn award(&mut self, user_id: i64, points: i32, now: UtcTime) -> QueryResult<()>;
}

macro_rules! progress_ops {
    ($conn:ty, $greatest:literal, $p1:literal, $p2:literal, $p3:literal) => {
        impl ProgressOps for $conn {
            fn count_request(
                &mut self,
                user_id: i64,
                videos: i32,
                now: UtcTime,
            ) -> QueryResult<()> {
                diesel::sql_query(concat!(
                    "UPDATE botapp_usersettings SET total_generations = total_generations + 1, \
                     total_videos_generated = total_videos_generated + ",
                    $p1,
                    ", \
                     last_generation_at = ",
                    $p2,
                    ", updated_at = ",
                    $p2,
                    " WHERE user_id = ",
                    $p3
                ))
                .bind::<Integer, _>(videos)
                .bind::<DateTimeField, _>(now)
                .bind::<BigInt, _>(user_id)
                .execute(self)
                .map(drop)
            }

            fn award(&mut self, user_id: i64, points: i32, now: UtcTime) -> QueryResult<()> {
                // SET expressions read the row's old values: the new points are
                // experience_points + the award.
                diesel::sql_query(concat!(
                    "UPDATE botapp_usersettings SET experience_points = experience_points + ",
                    $p1,
                    ", user_level = ",
                    $greatest,
                    "(user_level, (experience_points + ",
                    $p1,
                    ") / 100), updated_at = ",
                    $p2,
                    " WHERE user_id = ",
                    $p3
                ))
                .bind::<Integer, _>(points)
                .bind::<DateTimeField, _>(now)
                .bind::<BigInt, _>(user_id)
                .execute(self)
                .map(drop)
            }
        }
    };
}

progress_ops!(PgConnection, "GREATEST", "$1", "$2", "$3");
progress_ops!(SqliteConnection, "MAX", "?1", "?2", "?3");
