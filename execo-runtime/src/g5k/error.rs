//! What went wrong talking to Grid'5000, in one shape for the API, OAR and kadeploy:
//! "failed to VERB `THING` on PLACE: CAUSE", where the place is a site, a frontend, a
//! host or a URL, and the cause is the server's or the command's own words.

/// A failed Grid'5000 operation: what was asked, of what, where, and why not.
#[derive(Debug, thiserror::Error)]
#[error("failed to {verb} `{thing}`{}: {cause}", place.as_deref().map(|p| format!(" on {p}")).unwrap_or_default())]
pub struct G5kError {
    /// What was asked: `submit`, `read`, `deploy`...
    pub verb: String,
    /// Of what: a job, a path, a resource request, an environment.
    pub thing: String,
    /// Where: a site, a frontend, a host or a URL, when there is one.
    pub place: Option<String>,
    /// Why not, in the server's or the command's words when they gave some.
    pub cause: String,
    /// The underlying error, if any.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl G5kError {
    /// `failed to VERB `THING`: CAUSE`.
    pub fn new(
        verb: impl Into<String>,
        thing: impl Into<String>,
        cause: impl Into<String>,
    ) -> Self {
        G5kError {
            verb: verb.into(),
            thing: thing.into(),
            place: None,
            cause: cause.into(),
            source: None,
        }
    }

    /// The same, `on PLACE`.
    pub fn on(mut self, place: impl Into<String>) -> Self {
        self.place = Some(place.into());
        self
    }

    /// The same, keeping `source` as the cause's source.
    pub fn source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

/// Why OAR refused an advance reservation, in OAR's own three words (its metascheduler
/// sets the job's message to one of them): a caller can retry at the date OAR offers.
/// It is the [`source`](std::error::Error::source) of the [`G5kError`] a refused
/// submission gives; [`G5kError::reservation_refused`] reads it back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReservationRefused {
    /// `This reservation could run at DATE`: not then, but at `unix` (OAR's `date`,
    /// Europe/Paris, as OAR wrote it).
    #[error("the reservation could run at {date}")]
    CouldRunAt {
        /// The date as OAR wrote it, `YYYY-MM-DD hh:mm:ss`, Europe/Paris.
        date: String,
        /// The same, unix time.
        unix: i64,
    },
    /// `This reservation cannot run`: no date would do.
    #[error("the reservation cannot run at any date")]
    CannotRun,
    /// `Reservation too old`: it would have ended before now.
    #[error("the reservation is too old (it would end before now)")]
    TooOld,
}

impl G5kError {
    /// Why OAR refused the reservation, when that is what this error is.
    pub fn reservation_refused(&self) -> Option<&ReservationRefused> {
        self.source.as_deref()?.downcast_ref::<ReservationRefused>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_verb_thing_place_and_cause() {
        let e = G5kError::new(
            "submit",
            "nodes=3,walltime=1:00",
            "There are not enough resources",
        )
        .on("frontend lyon");
        assert_eq!(
            e.to_string(),
            "failed to submit `nodes=3,walltime=1:00` on frontend lyon: There are not enough resources"
        );
        let e = G5kError::new("read", "/sites", "HTTP 500");
        assert_eq!(e.to_string(), "failed to read `/sites`: HTTP 500");
    }
}
