//! The provider registry: registered only with complete settings; the active
//! models that leaves unserved are named with the reason.

use genworker::catalog;
use genworker::provider::ProviderRegistry;

use crate::providers::settings;
use crate::support::TestDb;

#[tokio::test]
async fn kling_is_registered_only_with_its_key_and_unserved_models_are_named() {
    let db = TestDb::sqlite();
    let pool = db.migrated().await;
    let models = catalog::list(&pool).await.unwrap();

    let without_key = ProviderRegistry::from_settings(&settings(&[]));
    assert!(without_key.get("kling").is_none());
    let unserved = without_key.unserved(&models);
    assert_eq!(unserved.len(), 1);
    assert_eq!(unserved[0].0.slug, "kling-v1");
    assert!(unserved[0].1.contains("KLING_API_KEY"), "{}", unserved[0].1);

    let with_key = ProviderRegistry::from_settings(&settings(&[("KLING_API_KEY", "k")]));
    assert_eq!(with_key.names(), ["kling"]);
    assert_eq!(with_key.get("kling").unwrap().name(), "kling");
    assert!(with_key.unserved(&models).is_empty());

    // A disabled model is not "unserved": nobody should serve it.
    catalog::set_active(&pool, "kling-v1", false).await.unwrap();
    let models = catalog::list(&pool).await.unwrap();
    assert!(without_key.unserved(&models).is_empty());
}
