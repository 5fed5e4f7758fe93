//! The OpenAPI schemas of the domain's values that serde writes as text or
//! numbers by hand (timestamps, countries, scopes, calling hours): a derive
//! would describe their Rust fields, not the JSON the server writes. The
//! shapes that serde derives derive their schema beside it.

use crate::hours::{CallingHours, Days, Holidays};
use crate::phone::Country;
use crate::suppressions::{Pattern, Scope};
use crate::time::Timestamp;
use crate::zones::ZoneName;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{ArrayBuilder, RefOr};
use utoipa::{PartialSchema, ToSchema};

fn text(description: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([example])
}

macro_rules! text_schema {
    ($($t:ty => $schema:expr;)*) => {$(
        impl PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                Schema::Object($schema.build()).into()
            }
        }
        impl ToSchema for $t {}
    )*};
}

text_schema! {
    Timestamp => text("A UTC instant, to the millisecond.", "2026-11-23T20:01:02.123Z")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
    Country => text("An ISO 3166 two-letter country code.", "US");
    Pattern => text(
        "A number in E.164 (`+13018040009`), or a prefix of one ending in `*` (`+1301804*`).",
        "+13018040009",
    );
    CallingHours => text("`HH:MM-HH:MM` in the callee's local time, or `off`.", "09:00-20:00");
    Days => text("The weekdays dialed: `mon-fri`, `mon,wed,fri`, `mon-sun`.", "mon-fri");
    ZoneName => text("An IANA time zone.", "America/New_York");
}

impl PartialSchema for Holidays {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .description(Some("Dates (`YYYY-MM-DD`) on which nothing is dialed."))
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
            )
            .build()
            .into()
    }
}
impl ToSchema for Holidays {}

/// `"global"`, or a campaign's id as a number.
impl PartialSchema for Scope {
    fn schema() -> RefOr<Schema> {
        let one_of = OneOfBuilder::new()
            .description(Some(
                "Where a suppression applies: `global` (every campaign), or one campaign's id.",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["global"])),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(1)),
            )
            .build();
        Schema::OneOf(one_of).into()
    }
}
impl ToSchema for Scope {}
