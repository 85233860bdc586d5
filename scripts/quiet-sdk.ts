/** Imported first by the simulate and demo scripts: the AWS SDK's Node 20 notice is noise in a local simulation. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
