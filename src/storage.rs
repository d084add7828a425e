//! Where uploaded files live: a local directory (the default) or S3-compatible object storage
//! (production), both behind `object_store`'s `ObjectStore` trait and chosen by configuration.
//! Files are immutable once written: a name is used once and never overwritten.
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::config::{MediaSettings, StoreSettings};

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

/// A file being written in parts as its bytes arrive, so a large video never sits in memory.
pub struct Upload {
    writer: WriteMultipart,
}

impl Upload {
    /// Queues `bytes`; parts go out as they fill.
    pub async fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        // At most two parts in flight: back-pressure on the upload instead of buffering it.
        self.writer.wait_for_capacity(2).await?;
        self.writer.write(bytes);
        Ok(())
    }

    pub async fn finish(self) -> anyhow::Result<()> {
        self.writer.finish().await?;
        Ok(())
    }

    /// Drops what was written so far.
    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "aborting a partial upload failed");
        }
    }
}

impl Storage {
    pub fn new(settings: &MediaSettings) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match &settings.store {
            StoreSettings::Local => {
                std::fs::create_dir_all(&settings.dir)?;
                Arc::new(object_store::local::LocalFileSystem::new_with_prefix(
                    &settings.dir,
                )?)
            }
            StoreSettings::S3(s3) => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_virtual_hosted_style_request(s3.virtual_hosted);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_endpoint(endpoint);
                }
                if let Some((id, secret)) = &s3.credentials {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secrecy::ExposeSecret::expose_secret(secret));
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(Self { store })
    }

    pub async fn put(&self, name: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.store
            .put(&Path::from(name), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Starts writing `name` in parts.
    pub async fn upload(&self, name: &str) -> anyhow::Result<Upload> {
        let upload = self.store.put_multipart(&Path::from(name)).await?;
        Ok(Upload {
            writer: WriteMultipart::new(upload),
        })
    }

    /// The file's size and its bytes as a stream; `None` when there is no such file.
    pub async fn get(
        &self,
        name: &str,
    ) -> anyhow::Result<Option<(u64, BoxStream<'static, object_store::Result<Bytes>>)>> {
        match self.store.get(&Path::from(name)).await {
            Ok(found) => Ok(Some((found.meta.size, found.into_stream()))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes `name`; a failure is only logged (an orphan file costs space, not correctness).
    pub async fn delete(&self, name: &str) {
        match self.store.delete(&Path::from(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, file = name, "deleting a stored file failed"),
        }
    }
}
