console.log("secrets-sync");
