// @generated automatically by Diesel CLI.

diesel::table! {
    api_keys (id) {
        id -> Int8,
        name -> Text,
        role -> Text,
        prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_key -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    customers (customer_id) {
        customer_id -> Text,
        stage -> Nullable<Text>,
        stage_reached_at -> Nullable<Timestamptz>,
        attributes -> Jsonb,
        segment -> Nullable<Text>,
        first_seen_at -> Timestamptz,
        updated_at -> Timestamptz,
        evidence -> Jsonb,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        source -> Text,
        event_id -> Text,
        customer_id -> Text,
        event_type -> Text,
        stage -> Nullable<Text>,
        value -> Nullable<Float8>,
        currency -> Nullable<Text>,
        order_id -> Nullable<Text>,
        referred_customer_id -> Nullable<Text>,
        occurred_at -> Timestamptz,
        received_at -> Timestamptz,
        is_late -> Bool,
        txid -> Int8,
    }
}

diesel::table! {
    experiments (id) {
        id -> Int8,
        key -> Text,
        name -> Text,
        hypothesis -> Text,
        stage -> Text,
        goal -> Text,
        window_days -> Int4,
        traffic -> Float8,
        layer_id -> Nullable<Int8>,
        targeting -> Nullable<Jsonb>,
        metrics -> Jsonb,
        stats -> Jsonb,
        simulation -> Nullable<Jsonb>,
        status -> Text,
        salt -> Text,
        managed_by -> Text,
        source_file -> Nullable<Text>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        stopped_at -> Nullable<Timestamptz>,
        overrides -> Jsonb,
        ship -> Nullable<Text>,
        start_at -> Nullable<Timestamptz>,
        stop_at -> Nullable<Timestamptz>,
        stop_on_sample -> Bool,
        status_note -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Int8,
        notification_id -> Uuid,
        webhook_id -> Uuid,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    exposures (customer_id, experiment_id) {
        customer_id -> Text,
        experiment_id -> Int8,
        variant_id -> Int8,
        exposed_at -> Timestamptz,
        is_override -> Bool,
        txid -> Int8,
    }
}

diesel::table! {
    layers (id) {
        id -> Int8,
        key -> Text,
        description -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    lifecycle_stages (id) {
        id -> Text,
        position -> Int4,
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        kind -> Text,
        experiment -> Text,
        body -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outcome_state (experiment_id) {
        experiment_id -> Int8,
        definition -> Text,
        since -> Int8,
        refreshed_at -> Timestamptz,
    }
}

diesel::table! {
    outcomes (experiment_id, customer_id) {
        experiment_id -> Int8,
        customer_id -> Text,
        variant_id -> Int8,
        exposed_at -> Timestamptz,
        exposed_day -> Date,
        revenue -> Float8,
        orders -> Float8,
        referred -> Bool,
        goal_hours -> Nullable<Float8>,
        goal_day -> Nullable<Date>,
        furthest -> Nullable<Int4>,
        pre_revenue -> Float8,
        pre_orders -> Float8,
        pre_referral -> Bool,
        custom_events -> Nullable<Array<Float8>>,
        custom_values -> Nullable<Array<Float8>>,
    }
}

diesel::table! {
    programme_members (customer_id, stage) {
        customer_id -> Text,
        stage -> Text,
        held_out -> Bool,
        holdout_share -> Float8,
        first_seen_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Int8,
        csrf_token -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    variants (id) {
        id -> Int8,
        experiment_id -> Int8,
        key -> Text,
        position -> Int4,
        weight -> Float8,
        payload -> Jsonb,
    }
}

diesel::table! {
    watch_state (experiment_id) {
        experiment_id -> Int8,
        recommendation -> Nullable<Text>,
        srm -> Bool,
        guardrail -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        format -> Text,
        secret -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(customers -> lifecycle_stages (stage));
diesel::joinable!(deliveries -> notifications (notification_id));
diesel::joinable!(deliveries -> webhooks (webhook_id));
diesel::joinable!(events -> lifecycle_stages (stage));
diesel::joinable!(experiments -> layers (layer_id));
diesel::joinable!(exposures -> experiments (experiment_id));
diesel::joinable!(exposures -> variants (variant_id));
diesel::joinable!(outcome_state -> experiments (experiment_id));
diesel::joinable!(outcomes -> experiments (experiment_id));
diesel::joinable!(programme_members -> lifecycle_stages (stage));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(variants -> experiments (experiment_id));
diesel::joinable!(watch_state -> experiments (experiment_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    audit_log,
    customers,
    deliveries,
    events,
    experiments,
    exposures,
    layers,
    lifecycle_stages,
    notifications,
    outcome_state,
    outcomes,
    programme_members,
    sessions,
    settings,
    users,
    variants,
    watch_state,
    webhooks,
);
