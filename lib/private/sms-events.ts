/** The source of the events SMS publishes (the SMS User Guide, "Using Amazon CloudWatch Events and AWS Lambda with AWS SMS"). */
export const SMS_EVENT_SOURCE = 'aws.sms';

/** The detail-type of SMS's events about a replication job (the same guide's "Event Type"). */
export const JOB_STATE_CHANGE = 'Server Migration Job State Change';
